#pragma once

// AWS Signature Version 4, shared by every AWS client (S3, Bedrock, STS).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_client.hpp"

namespace rendermart::aws {

using Clock = std::chrono::system_clock;
using net::HeaderList;
using QueryList = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                    // empty for long-term keys
  std::optional<Clock::time_point> expiration;  // nothing: never expires
};

// The payload hash S3 accepts in place of the body's SHA-256 (presigned URLs, streamed bodies).
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
// The longest validity AWS accepts for a presigned URL (7 days).
inline constexpr std::chrono::seconds max_presign_expiry{604800};

std::string to_hex(std::string_view bytes);
std::string sha256_hex(std::string_view data);
// Raw (binary) HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);

// "20130524T000000Z" and "20130524".
std::string amz_date(Clock::time_point time);
std::string amz_short_date(Clock::time_point time);

// A request as the signer sees it. The path and the query are decoded (the signer encodes them);
// an empty path means "/". Headers must include "host" exactly as sent.
struct SignableRequest {
  std::string method;
  std::string path = "/";
  QueryList query;
  HeaderList headers;
  // Hex SHA-256 of the body, or unsigned_payload.
  std::string payload_hash;
};

struct SignerOptions {
  std::string region;
  std::string service;
  // S3 encodes the path once and never normalizes it ("a//b" and "./" are part of keys). Every
  // other service removes dot segments and empty segments and encodes the path a second time.
  bool s3_path_rules = false;
  // S3 requires the payload hash in an x-amz-content-sha256 header.
  bool add_content_sha256_header = false;
};

class Signer {
 public:
  explicit Signer(SignerOptions options);

  // Adds x-amz-date, x-amz-security-token (session credentials), x-amz-content-sha256 (if the
  // options say so) and Authorization to request.headers; every header present is signed.
  void sign(SignableRequest& request, const Credentials& credentials, Clock::time_point now) const;

  // The complete query string (already encoded, without '?') of a presigned URL for the
  // request: its own parameters plus X-Amz-Algorithm, -Credential, -Date, -Expires,
  // -SignedHeaders, -Security-Token and -Signature. The request's headers (normally just host)
  // are the signed headers. Throws invalid_argument when expiry is not within 1 s .. 7 days.
  std::string presign(const SignableRequest& request, const Credentials& credentials,
                      Clock::time_point now, std::chrono::seconds expiry) const;

  // The path as it goes on the wire: each segment encoded once.
  static std::string wire_path(std::string_view path);
  // The query string as it goes on the wire, in canonical order.
  static std::string canonical_query(const QueryList& query);

  // The steps, public so that tests can compare them with AWS's published examples.
  std::string canonical_request(const SignableRequest& request) const;
  std::string string_to_sign(const std::string& canonical_request, Clock::time_point now) const;
  std::string signing_key(const std::string& secret, Clock::time_point now) const;
  std::string scope(Clock::time_point now) const;

  const SignerOptions& options() const { return options_; }

 private:
  std::string canonical_uri(std::string_view raw_path) const;
  std::string signature(const std::string& secret, const std::string& canonical,
                        Clock::time_point now) const;

  SignerOptions options_;
  // The derived key depends only on (secret, date) for one region and service, so one entry
  // saves four HMACs on every request of the day.
  mutable std::mutex key_mutex_;
  mutable std::string cached_secret_;
  mutable std::string cached_date_;
  mutable std::string cached_key_;
};

}  // namespace rendermart::aws
