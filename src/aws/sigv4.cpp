#include "aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "core/error.hpp"
#include "net/url.hpp"

namespace rendermart::aws {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trimmed, with every run of whitespace replaced by one space (the canonical header value).
std::string collapse_spaces(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string format_utc(Clock::time_point time, const char* format) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  const std::size_t n = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string(buffer, n);
}

// Lower-cased names, sorted; the values of repeated names joined with ',' in order.
std::map<std::string, std::string> canonical_header_map(const HeaderList& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    auto [it, inserted] = out.try_emplace(lower(name), collapse_spaces(value));
    if (!inserted) it->second += "," + collapse_spaces(value);
  }
  return out;
}

std::string signed_header_list(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex_digits[c >> 4];
    out += hex_digits[c & 0x0f];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string amz_date(Clock::time_point time) { return format_utc(time, "%Y%m%dT%H%M%SZ"); }
std::string amz_short_date(Clock::time_point time) { return format_utc(time, "%Y%m%d"); }

Signer::Signer(SignerOptions options) : options_(std::move(options)) {}

namespace {
// A request path is absolute: an empty path is "/", as AWS's canonical form requires.
std::string absolute(std::string_view path) {
  return path.starts_with('/') ? std::string(path) : "/" + std::string(path);
}
}  // namespace

std::string Signer::wire_path(std::string_view path) {
  return net::percent_encode(absolute(path), true);
}

std::string Signer::canonical_query(const QueryList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(net::percent_encode(name), net::percent_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string Signer::canonical_uri(std::string_view raw_path) const {
  if (options_.s3_path_rules) return wire_path(raw_path);
  const std::string path = absolute(raw_path);
  // RFC 3986 "remove dot segments", and no empty segments, before the second encoding.
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = std::string_view(path).substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string normalized = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized += '/';
    normalized += segments[i];
  }
  if (!segments.empty() && path.ends_with('/')) normalized += '/';
  return net::percent_encode(wire_path(normalized), true);
}

std::string Signer::canonical_request(const SignableRequest& request) const {
  const auto headers = canonical_header_map(request.headers);
  std::string out = request.method + "\n" + canonical_uri(request.path) + "\n" +
                    canonical_query(request.query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + signed_header_list(headers) + "\n" + request.payload_hash;
  return out;
}

std::string Signer::scope(Clock::time_point now) const {
  return amz_short_date(now) + "/" + options_.region + "/" + options_.service + "/aws4_request";
}

std::string Signer::string_to_sign(const std::string& canonical, Clock::time_point now) const {
  return std::string(algorithm) + "\n" + amz_date(now) + "\n" + scope(now) + "\n" +
         sha256_hex(canonical);
}

std::string Signer::signing_key(const std::string& secret, Clock::time_point now) const {
  const std::string date = amz_short_date(now);
  std::lock_guard lock(key_mutex_);
  if (cached_secret_ != secret || cached_date_ != date || cached_key_.empty()) {
    const std::string k_date = hmac_sha256("AWS4" + secret, date);
    const std::string k_region = hmac_sha256(k_date, options_.region);
    const std::string k_service = hmac_sha256(k_region, options_.service);
    cached_key_ = hmac_sha256(k_service, "aws4_request");
    cached_secret_ = secret;
    cached_date_ = date;
  }
  return cached_key_;
}

std::string Signer::signature(const std::string& secret, const std::string& canonical,
                              Clock::time_point now) const {
  return to_hex(hmac_sha256(signing_key(secret, now), string_to_sign(canonical, now)));
}

void Signer::sign(SignableRequest& request, const Credentials& credentials,
                  Clock::time_point now) const {
  // Earlier signatures of this request (a retry) must not be signed again.
  std::erase_if(request.headers, [](const auto& header) {
    const std::string name = lower(header.first);
    return name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token" ||
           name == "x-amz-content-sha256";
  });
  request.headers.emplace_back("x-amz-date", amz_date(now));
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  if (options_.add_content_sha256_header) {
    request.headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  }
  const std::string canonical = canonical_request(request);
  request.headers.emplace_back(
      "Authorization",
      std::string(algorithm) + " Credential=" + credentials.access_key_id + "/" + scope(now) +
          ", SignedHeaders=" + signed_header_list(canonical_header_map(request.headers)) +
          ", Signature=" + signature(credentials.secret_access_key, canonical, now));
}

std::string Signer::presign(const SignableRequest& request, const Credentials& credentials,
                            Clock::time_point now, std::chrono::seconds expiry) const {
  if (expiry.count() < 1 || expiry > max_presign_expiry) {
    throw invalid_argument("expiry", "a presigned URL must expire within 1 to " +
                                         std::to_string(max_presign_expiry.count()) +
                                         " seconds, not " + std::to_string(expiry.count()));
  }
  SignableRequest signed_request = request;
  QueryList& query = signed_request.query;
  query.emplace_back("X-Amz-Algorithm", std::string(algorithm));
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope(now));
  query.emplace_back("X-Amz-Date", amz_date(now));
  query.emplace_back("X-Amz-Expires", std::to_string(expiry.count()));
  if (!credentials.session_token.empty()) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  query.emplace_back("X-Amz-SignedHeaders",
                     signed_header_list(canonical_header_map(signed_request.headers)));
  const std::string canonical = canonical_request(signed_request);
  query.emplace_back("X-Amz-Signature", signature(credentials.secret_access_key, canonical, now));
  return canonical_query(query);
}

}  // namespace rendermart::aws
