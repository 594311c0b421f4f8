#include "aws/credentials.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "aws/service_errors.hpp"
#include "aws/xml.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"

namespace rendermart::aws {
namespace {

constexpr std::string_view default_sts_region = "us-east-1";
constexpr std::string_view default_session_name = "rendermart";
constexpr std::string_view container_host = "http://169.254.170.2";
constexpr std::string_view default_imds_endpoint = "http://169.254.169.254";
constexpr std::string_view imds_token_ttl_seconds = "21600";
// Metadata services answer in milliseconds when they exist; off EC2 the address does not answer
// at all, and start-up must not hang on it.
constexpr std::chrono::milliseconds metadata_connect_timeout{1000};
constexpr std::chrono::milliseconds metadata_timeout{3000};
constexpr std::chrono::milliseconds sts_timeout{10000};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

Error unauthenticated(const std::string& message) {
  return Error(ErrorCode::unauthenticated, message);
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw unauthenticated("cannot read " + what + " '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<Clock::time_point> parse_expiration(const std::string& text,
                                                  const std::string& source) {
  if (text.empty()) return std::nullopt;
  const auto millis = parse_iso8601(text);
  if (!millis) throw unauthenticated(source + " returned an unreadable expiration '" + text + "'");
  return Clock::time_point(std::chrono::milliseconds(*millis));
}

// The JSON document of the container and instance metadata services.
Credentials parse_json_credentials(const std::string& body, const std::string& source) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("AccessKeyId") || !json.contains("SecretAccessKey")) {
    throw unauthenticated(source + " returned no credentials: " + body.substr(0, 200));
  }
  Credentials credentials;
  credentials.access_key_id = json.at("AccessKeyId").get<std::string>();
  credentials.secret_access_key = json.at("SecretAccessKey").get<std::string>();
  credentials.session_token = json.value("Token", "");
  credentials.expiration = parse_expiration(json.value("Expiration", ""), source);
  return credentials;
}

class EnvironmentProvider : public CredentialsProvider {
 public:
  std::optional<Credentials> load() override {
    Credentials credentials{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                            env("AWS_SESSION_TOKEN"), std::nullopt};
    if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) {
      return std::nullopt;
    }
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
      throw unauthenticated(
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (only one is set)");
    }
    return credentials;
  }
  std::string name() const override { return "environment"; }
};

class WebIdentityProvider : public CredentialsProvider {
 public:
  std::optional<Credentials> load() override {
    const std::string token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const std::string role_arn = env("AWS_ROLE_ARN");
    if (token_file.empty() || role_arn.empty()) return std::nullopt;
    // The token file is rotated by the kubelet: read it on every refresh.
    const std::string token = trim(read_file(token_file, "web identity token file"));
    std::string session = env("AWS_ROLE_SESSION_NAME");
    if (session.empty()) session = default_session_name;

    std::string endpoint = env("AWS_ENDPOINT_URL_STS");
    if (endpoint.empty()) {
      std::string region = env("AWS_REGION");
      if (region.empty()) region = env("AWS_DEFAULT_REGION");
      if (region.empty()) region = default_sts_region;
      endpoint = "https://sts." + region + ".amazonaws.com";
    }
    // AssumeRoleWithWebIdentity is authenticated by the token itself, so it is not signed.
    net::HttpRequest request;
    request.method = "POST";
    request.url = endpoint + "/";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/xml"}};
    request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                   net::percent_encode(role_arn) +
                   "&RoleSessionName=" + net::percent_encode(session) +
                   "&WebIdentityToken=" + net::percent_encode(token);
    request.timeout = sts_timeout;
    net::HttpResponse response;
    try {
      response = net::with_retries(
          net::RetryPolicy{}, [&] { return net::send(request); }, is_retryable);
    } catch (const net::TransportError& e) {
      throw unauthenticated("web identity: STS at " + endpoint + " is unreachable: " + e.what());
    }
    if (response.status != 200) {
      throw unauthenticated("web identity: STS AssumeRoleWithWebIdentity for role " + role_arn +
                            " failed with HTTP " + std::to_string(response.status) + " " +
                            error_code(response) + ": " +
                            xml_text(response.body, "Message").value_or("") +
                            " (check the role's trust policy for this service account's OIDC "
                            "provider and the token file " +
                            token_file + ")");
    }
    Credentials credentials;
    credentials.access_key_id = xml_text(response.body, "AccessKeyId").value_or("");
    credentials.secret_access_key = xml_text(response.body, "SecretAccessKey").value_or("");
    credentials.session_token = xml_text(response.body, "SessionToken").value_or("");
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
      throw unauthenticated("web identity: STS answered without credentials");
    }
    credentials.expiration =
        parse_expiration(xml_text(response.body, "Expiration").value_or(""), "STS");
    return credentials;
  }
  std::string name() const override { return "web identity"; }
};

// INI sections -> key -> value, as the AWS CLI reads them (';' and '#' start comments).
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

std::optional<IniFile> read_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  IniFile ini;
  std::string section;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(std::string_view(line).substr(1, line.size() - 2));
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos || section.empty()) continue;
    ini[section][trim(std::string_view(line).substr(0, equals))] =
        trim(std::string_view(line).substr(equals + 1));
  }
  return ini;
}

class ProfileProvider : public CredentialsProvider {
 public:
  std::optional<Credentials> load() override {
    const std::string home = env("HOME");
    std::string credentials_path = env("AWS_SHARED_CREDENTIALS_FILE");
    if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
    std::string config_path = env("AWS_CONFIG_FILE");
    if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
    std::string profile = env("AWS_PROFILE");
    const bool profile_chosen = !profile.empty();
    if (!profile_chosen) profile = "default";

    // The credentials file wins over the config file, as in the AWS CLI.
    std::map<std::string, std::string> values;
    if (auto config = read_ini(config_path)) {
      const std::string section = profile == "default" ? "default" : "profile " + profile;
      if (auto it = config->find(section); it != config->end()) values = it->second;
    }
    if (auto credentials_file = read_ini(credentials_path)) {
      if (auto it = credentials_file->find(profile); it != credentials_file->end()) {
        for (const auto& [key, value] : it->second) values[key] = value;
      }
    }
    const std::string key_id = values["aws_access_key_id"];
    const std::string secret = values["aws_secret_access_key"];
    if (key_id.empty() || secret.empty()) {
      if (profile_chosen && values.empty()) {
        throw unauthenticated("AWS_PROFILE='" + profile + "' is not a profile in " +
                              credentials_path + " or " + config_path);
      }
      if (profile_chosen) {
        throw unauthenticated("profile '" + profile +
                              "' has no aws_access_key_id/aws_secret_access_key (role, SSO and "
                              "credential_process profiles are not supported)");
      }
      return std::nullopt;
    }
    return Credentials{key_id, secret, values["aws_session_token"], std::nullopt};
  }
  std::string name() const override { return "shared credentials/config files"; }
};

bool is_allowed_container_url(const std::string& url) {
  // The SDKs send the container token only to HTTPS or to the container agents' own addresses,
  // so that a hijacked variable cannot leak it to an arbitrary host.
  if (url.starts_with("https://")) return true;
  for (const std::string_view prefix :
       {"http://127.", "http://localhost:", "http://localhost/", "http://[::1]",
        "http://169.254.170.2:", "http://169.254.170.2/",
        "http://169.254.170.23:", "http://169.254.170.23/", "http://[fd00:ec2::23]"}) {
    if (url.starts_with(prefix)) return true;
  }
  return false;
}

class ContainerProvider : public CredentialsProvider {
 public:
  std::optional<Credentials> load() override {
    std::string url = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (const std::string relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        !relative.empty()) {
      url = std::string(container_host) + relative;
    }
    if (url.empty()) return std::nullopt;
    if (!is_allowed_container_url(url)) {
      throw unauthenticated("AWS_CONTAINER_CREDENTIALS_FULL_URI '" + url +
                            "' must be https or a loopback / container agent address");
    }
    net::HttpRequest request;
    request.url = url;
    request.connect_timeout = metadata_connect_timeout;
    request.timeout = metadata_timeout;
    std::string token;
    if (const std::string file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
      token = trim(read_file(file, "container authorization token file"));
    } else {
      token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (!token.empty()) request.headers.emplace_back("Authorization", token);
    net::HttpResponse response;
    try {
      response = net::with_retries(
          net::RetryPolicy{}, [&] { return net::send(request); }, is_retryable);
    } catch (const net::TransportError& e) {
      throw unauthenticated("container credentials endpoint " + url +
                            " is unreachable: " + e.what());
    }
    if (response.status != 200) {
      throw unauthenticated("container credentials endpoint " + url + " answered HTTP " +
                            std::to_string(response.status) +
                            " (check the pod identity association or the task role)");
    }
    return parse_json_credentials(response.body, "container credentials endpoint " + url);
  }
  std::string name() const override { return "container"; }
};

class ImdsProvider : public CredentialsProvider {
 public:
  std::optional<Credentials> load() override {
    std::string disabled = env("AWS_EC2_METADATA_DISABLED");
    std::transform(disabled.begin(), disabled.end(), disabled.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (disabled == "true") return std::nullopt;
    std::string endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (endpoint.empty()) endpoint = default_imds_endpoint;
    while (endpoint.ends_with('/')) endpoint.pop_back();

    net::HttpRequest token_request;
    token_request.method = "PUT";
    token_request.url = endpoint + "/latest/api/token";
    token_request.headers = {
        {"X-aws-ec2-metadata-token-ttl-seconds", std::string(imds_token_ttl_seconds)}};
    token_request.connect_timeout = metadata_connect_timeout;
    token_request.timeout = metadata_timeout;
    net::HttpResponse token;
    try {
      token = net::send(token_request);
    } catch (const net::TransportError&) {
      return std::nullopt;  // not on EC2 (or IMDS is blocked): the chain has nothing here
    }
    if (token.status != 200) {
      throw unauthenticated("EC2 instance metadata at " + endpoint +
                            " refused an IMDSv2 token (HTTP " + std::to_string(token.status) + ")");
    }
    const auto get = [&](const std::string& path) {
      net::HttpRequest request;
      request.url = endpoint + path;
      request.headers = {{"X-aws-ec2-metadata-token", token.body}};
      request.connect_timeout = metadata_connect_timeout;
      request.timeout = metadata_timeout;
      net::HttpResponse response;
      try {
        response = net::send(request);
      } catch (const net::TransportError& e) {
        throw unauthenticated("EC2 instance metadata at " + endpoint + ": " + e.what());
      }
      if (response.status != 200) {
        throw unauthenticated("EC2 instance metadata " + path + " answered HTTP " +
                              std::to_string(response.status) +
                              " (does the instance have an instance profile?)");
      }
      return response.body;
    };
    const std::string base = "/latest/meta-data/iam/security-credentials/";
    const std::string roles = get(base);
    const std::string role = trim(roles.substr(0, roles.find('\n')));
    if (role.empty()) throw unauthenticated("the EC2 instance has no IAM role attached");
    return parse_json_credentials(get(base + role), "EC2 instance metadata");
  }
  std::string name() const override { return "EC2 instance metadata"; }
};

class StaticProvider : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  std::optional<Credentials> load() override { return credentials_; }
  std::string name() const override { return "static"; }

 private:
  Credentials credentials_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> environment_provider() {
  return std::make_unique<EnvironmentProvider>();
}
std::unique_ptr<CredentialsProvider> web_identity_provider() {
  return std::make_unique<WebIdentityProvider>();
}
std::unique_ptr<CredentialsProvider> profile_provider() {
  return std::make_unique<ProfileProvider>();
}
std::unique_ptr<CredentialsProvider> container_provider() {
  return std::make_unique<ContainerProvider>();
}
std::unique_ptr<CredentialsProvider> imds_provider() { return std::make_unique<ImdsProvider>(); }
std::unique_ptr<CredentialsProvider> static_provider(Credentials credentials) {
  return std::make_unique<StaticProvider>(std::move(credentials));
}

CredentialsCache::CredentialsCache(std::vector<std::unique_ptr<CredentialsProvider>> chain)
    : chain_(std::move(chain)) {}

Credentials CredentialsCache::get() {
  std::lock_guard lock(mutex_);
  if (cached_ &&
      (!cached_->expiration || Clock::now() + credentials_refresh_margin < *cached_->expiration)) {
    return *cached_;
  }
  std::string tried;
  for (const auto& provider : chain_) {
    if (auto credentials = provider->load()) {
      cached_ = std::move(credentials);
      return *cached_;
    }
    tried += (tried.empty() ? "" : ", ") + provider->name();
  }
  throw unauthenticated("no AWS credentials found (tried: " + tried +
                        "); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with "
                        "an IAM role (IRSA, Pod Identity, ECS task role, instance profile)");
}

void CredentialsCache::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
}

std::shared_ptr<CredentialsCache> default_credentials() {
  std::vector<std::unique_ptr<CredentialsProvider>> chain;
  chain.push_back(environment_provider());
  chain.push_back(web_identity_provider());
  chain.push_back(profile_provider());
  chain.push_back(container_provider());
  chain.push_back(imds_provider());
  return std::make_shared<CredentialsCache>(std::move(chain));
}

}  // namespace rendermart::aws
