// Each provider against temp files or a LocalHttpServer on 127.0.0.1. Every test starts from an
// environment without AWS variables, with HOME in a temporary directory and IMDS disabled, so
// that nothing here reads the developer's ~/.aws or reaches a real AWS address.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aws/credentials.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "support/local_http_server.hpp"

namespace rendermart::aws {
namespace {

using namespace std::chrono_literals;
using testing::LocalHttpServer;
using testing::LocalRequest;
using testing::LocalResponse;

constexpr const char* aws_variables[] = {"AWS_ACCESS_KEY_ID",
                                         "AWS_SECRET_ACCESS_KEY",
                                         "AWS_SESSION_TOKEN",
                                         "AWS_WEB_IDENTITY_TOKEN_FILE",
                                         "AWS_ROLE_ARN",
                                         "AWS_ROLE_SESSION_NAME",
                                         "AWS_ENDPOINT_URL_STS",
                                         "AWS_REGION",
                                         "AWS_DEFAULT_REGION",
                                         "AWS_SHARED_CREDENTIALS_FILE",
                                         "AWS_CONFIG_FILE",
                                         "AWS_PROFILE",
                                         "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                         "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                         "AWS_EC2_METADATA_DISABLED",
                                         "HOME"};

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : aws_variables) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      unsetenv(name);
    }
    dir_ = std::filesystem::temp_directory_path() / ("rendermart-aws-" + random_hex(6));
    std::filesystem::create_directories(dir_);
    setenv("HOME", dir_.c_str(), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  }
  void TearDown() override {
    for (const char* name : aws_variables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

ErrorCode code_of(const std::function<void()>& action, std::string* message = nullptr) {
  try {
    action();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::internal;
}

const std::string credentials_json =
    R"({"Code":"Success","AccessKeyId":"ASIAJSON","SecretAccessKey":"json-secret",)"
    R"("Token":"json-token","Expiration":"2030-01-02T03:04:05Z"})";

TEST_F(CredentialsTest, EnvironmentVariables) {
  EXPECT_FALSE(environment_provider()->load());
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  EXPECT_EQ(code_of([] { environment_provider()->load(); }), ErrorCode::unauthenticated);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  setenv("AWS_SESSION_TOKEN", "env-token", 1);
  const auto credentials = environment_provider()->load();
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "AKIDENV");
  EXPECT_EQ(credentials->secret_access_key, "env-secret");
  EXPECT_EQ(credentials->session_token, "env-token");
  EXPECT_FALSE(credentials->expiration);
}

TEST_F(CredentialsTest, WebIdentityCallsStsAssumeRoleWithWebIdentity) {
  LocalHttpServer sts([](const LocalRequest&) {
    return LocalResponse{
        200,
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>web/secret+1</SecretAccessKey>"
        "<SessionToken>web-token&amp;more</SessionToken>"
        "<Expiration>2030-01-02T03:04:05Z</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
        {{"Content-Type", "text/xml"}}};
  });
  EXPECT_FALSE(web_identity_provider()->load());
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "eyJ.token.sig\n").c_str(), 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/render-mart", 1);
  setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
  setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
  const auto credentials = web_identity_provider()->load();
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "ASIAWEB");
  EXPECT_EQ(credentials->secret_access_key, "web/secret+1");
  EXPECT_EQ(credentials->session_token, "web-token&more");
  ASSERT_TRUE(credentials->expiration);
  EXPECT_EQ(Clock::to_time_t(*credentials->expiration), 1893553445);
  const auto request = sts.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Frender-mart"
            "&RoleSessionName=pod-1&WebIdentityToken=eyJ.token.sig");
  EXPECT_FALSE(request.headers.contains("authorization"));
}

TEST_F(CredentialsTest, WebIdentityRefusalNamesTheRole) {
  LocalHttpServer sts([](const LocalRequest&) {
    return LocalResponse{
        403,
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        "<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"
        "</Error></ErrorResponse>",
        {}};
  });
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "t").c_str(), 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
  setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
  std::string message;
  EXPECT_EQ(code_of([] { web_identity_provider()->load(); }, &message), ErrorCode::unauthenticated);
  EXPECT_NE(message.find("arn:aws:iam::1:role/r"), std::string::npos) << message;
  EXPECT_NE(message.find("AccessDenied"), std::string::npos) << message;
}

TEST_F(CredentialsTest, SharedCredentialsAndConfigProfiles) {
  setenv("AWS_SHARED_CREDENTIALS_FILE",
         write("creds",
               "# comment\n[default]\naws_access_key_id = AKIDDEF\n"
               "aws_secret_access_key=def-secret\n\n[dev]\naws_access_key_id=AKIDDEV\n"
               "aws_secret_access_key = dev-secret\naws_session_token = dev-token\n")
             .c_str(),
         1);
  setenv("AWS_CONFIG_FILE",
         write("config",
               "[default]\nregion = us-west-2\n[profile cfg]\n"
               "aws_access_key_id = AKIDCFG\naws_secret_access_key = cfg-secret\n")
             .c_str(),
         1);
  EXPECT_EQ(profile_provider()->load()->access_key_id, "AKIDDEF");
  setenv("AWS_PROFILE", "dev", 1);
  const auto dev = profile_provider()->load();
  EXPECT_EQ(dev->access_key_id, "AKIDDEV");
  EXPECT_EQ(dev->secret_access_key, "dev-secret");
  EXPECT_EQ(dev->session_token, "dev-token");
  setenv("AWS_PROFILE", "cfg", 1);
  EXPECT_EQ(profile_provider()->load()->access_key_id, "AKIDCFG");
  setenv("AWS_PROFILE", "missing", 1);
  std::string message;
  EXPECT_EQ(code_of([] { profile_provider()->load(); }, &message), ErrorCode::unauthenticated);
  EXPECT_NE(message.find("missing"), std::string::npos);
}

TEST_F(CredentialsTest, DefaultFilesUnderHome) {
  EXPECT_FALSE(profile_provider()->load());
  write(".aws/credentials", "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=s\n");
  EXPECT_EQ(profile_provider()->load()->access_key_id, "AKIDHOME");
}

TEST_F(CredentialsTest, ContainerCredentialsWithTokenFile) {
  LocalHttpServer agent([](const LocalRequest& request) {
    if (!request.headers.contains("authorization") ||
        request.headers.at("authorization") != "pod-token") {
      return LocalResponse{401, "", {}};
    }
    return LocalResponse{200, credentials_json, {{"Content-Type", "application/json"}}};
  });
  EXPECT_FALSE(container_provider()->load());
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/v1/credentials").c_str(), 1);
  EXPECT_EQ(code_of([] { container_provider()->load(); }), ErrorCode::unauthenticated);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-token", 1);
  EXPECT_EQ(container_provider()->load()->access_key_id, "ASIAJSON");
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale", 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("pod-token", "pod-token\n").c_str(), 1);
  const auto credentials = container_provider()->load();
  EXPECT_EQ(credentials->secret_access_key, "json-secret");
  EXPECT_EQ(credentials->session_token, "json-token");
  EXPECT_TRUE(credentials->expiration);
  EXPECT_EQ(agent.requests().back().target, "/v1/credentials");
}

TEST_F(CredentialsTest, ContainerUriMustBeLocalOrHttps) {
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://attacker.example/creds", 1);
  EXPECT_EQ(code_of([] { container_provider()->load(); }), ErrorCode::unauthenticated);
}

TEST_F(CredentialsTest, ImdsV2TokenThenRoleThenCredentials) {
  LocalHttpServer imds([](const LocalRequest& request) {
    if (request.method == "PUT" && request.target == "/latest/api/token") {
      return request.headers.contains("x-aws-ec2-metadata-token-ttl-seconds")
                 ? LocalResponse{200, "imds-token", {}}
                 : LocalResponse{400, "", {}};
    }
    if (!request.headers.contains("x-aws-ec2-metadata-token") ||
        request.headers.at("x-aws-ec2-metadata-token") != "imds-token") {
      return LocalResponse{401, "", {}};
    }
    if (request.target == "/latest/meta-data/iam/security-credentials/") {
      return LocalResponse{200, "render-role\n", {}};
    }
    if (request.target == "/latest/meta-data/iam/security-credentials/render-role") {
      return LocalResponse{200, credentials_json, {}};
    }
    return LocalResponse{404, "", {}};
  });
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", (imds.url() + "/").c_str(), 1);
  EXPECT_FALSE(imds_provider()->load());  // still disabled
  unsetenv("AWS_EC2_METADATA_DISABLED");
  const auto credentials = imds_provider()->load();
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "ASIAJSON");
  EXPECT_EQ(credentials->session_token, "json-token");
  EXPECT_EQ(imds.requests().size(), 3u);
}

TEST_F(CredentialsTest, ImdsThatDoesNotAnswerIsNotConfigured) {
  std::string url;
  {
    url = LocalHttpServer([](const LocalRequest&) { return LocalResponse{}; }).url();
  }
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.c_str(), 1);
  EXPECT_FALSE(imds_provider()->load());
}

TEST_F(CredentialsTest, ChainOrderAndNothingConfigured) {
  std::string message;
  EXPECT_EQ(code_of([] { default_credentials()->get(); }, &message), ErrorCode::unauthenticated);
  EXPECT_NE(message.find("environment, web identity"), std::string::npos) << message;
  write(".aws/credentials", "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=s\n");
  EXPECT_EQ(default_credentials()->get().access_key_id, "AKIDFILE");
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
  EXPECT_EQ(default_credentials()->get().access_key_id, "AKIDENV");
}

// Counts loads; hands out credentials that expire `lifetime` from now.
class CountingProvider : public CredentialsProvider {
 public:
  CountingProvider(std::atomic<int>& loads, Clock::duration lifetime)
      : loads_(loads), lifetime_(lifetime) {}
  std::optional<Credentials> load() override {
    const int n = ++loads_;
    std::this_thread::sleep_for(5ms);  // widen the window for racing callers
    return Credentials{"AKID" + std::to_string(n), "s", "t", Clock::now() + lifetime_};
  }
  std::string name() const override { return "counting"; }

 private:
  std::atomic<int>& loads_;
  Clock::duration lifetime_;
};

CredentialsCache counting_cache(std::atomic<int>& loads, Clock::duration lifetime) {
  std::vector<std::unique_ptr<CredentialsProvider>> chain;
  chain.push_back(std::make_unique<CountingProvider>(loads, lifetime));
  return CredentialsCache(std::move(chain));
}

TEST_F(CredentialsTest, CacheKeepsCredentialsUntilNearExpiry) {
  std::atomic<int> loads = 0;
  auto cache = counting_cache(loads, 1h);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { cache.get(); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(loads, 1);
  cache.invalidate();
  EXPECT_EQ(cache.get().access_key_id, "AKID2");
}

TEST_F(CredentialsTest, CacheRefreshesWithinTheMargin) {
  std::atomic<int> loads = 0;
  auto cache = counting_cache(loads, credentials_refresh_margin - 1min);
  cache.get();
  cache.get();
  EXPECT_EQ(loads, 2);
}

}  // namespace
}  // namespace rendermart::aws
