#pragma once

// Where AWS credentials come from, in the order of the AWS SDKs' default chain:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
//   2. web identity (IRSA on EKS): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity (AWS_ENDPOINT_URL_STS overrides
//      https://sts.{AWS_REGION}.amazonaws.com)
//   3. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
//      (~/.aws/config, "[profile name]" sections), profile AWS_PROFILE or "default"; static keys
//      only
//   4. container (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_FULL_URI or
//      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2), with the Authorization token
//      from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN
//   5. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides
//      http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true turns it off)
// A source that is not configured passes to the next one; a configured source that fails throws
// (a broken IRSA setup must not silently fall back to the node's instance role).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/sigv4.hpp"

namespace rendermart::aws {

// Temporary credentials are replaced this long before they expire, so that a request signed
// just before the refresh is not rejected in flight.
inline constexpr std::chrono::minutes credentials_refresh_margin{5};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Nothing when this source is not configured here. Throws Error(unauthenticated) when it is
  // configured but cannot deliver credentials; the message names the source and what to check.
  virtual std::optional<Credentials> load() = 0;
  // For messages: "environment", "web identity", ...
  virtual std::string name() const = 0;
};

std::unique_ptr<CredentialsProvider> environment_provider();
std::unique_ptr<CredentialsProvider> web_identity_provider();
std::unique_ptr<CredentialsProvider> profile_provider();
std::unique_ptr<CredentialsProvider> container_provider();
std::unique_ptr<CredentialsProvider> imds_provider();
// Fixed credentials (tests, explicit configuration).
std::unique_ptr<CredentialsProvider> static_provider(Credentials credentials);

// The first configured source of a chain, cached until credentials_refresh_margin before its
// expiry. Thread-safe; concurrent callers during a refresh wait for the one refresh.
class CredentialsCache {
 public:
  explicit CredentialsCache(std::vector<std::unique_ptr<CredentialsProvider>> chain);

  // Throws Error(unauthenticated) when no source is configured, naming every source tried.
  Credentials get();
  // Drops the cached credentials (e.g. after the service rejected them).
  void invalidate();

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<CredentialsProvider>> chain_;
  std::optional<Credentials> cached_;
};

// The default chain above, cached.
std::shared_ptr<CredentialsCache> default_credentials();

}  // namespace rendermart::aws
