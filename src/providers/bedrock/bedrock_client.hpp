#pragma once

// Amazon Bedrock over HTTPS: InvokeModel on the runtime endpoint
// (POST /model/{modelId}/invoke,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html) and GET
// calls on the control plane (foundation models), each signed with SigV4 for the service "bedrock"
// with the shared credential chain.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "core/error.hpp"
#include "net/http_client.hpp"

namespace rendermart {

// Image models can take a minute or more (AWS advises raising SDK read timeouts for them).
inline constexpr std::chrono::seconds kDefaultBedrockTimeout{120};

struct BedrockOptions {
  std::string region;
  std::string runtime_endpoint;  // empty: https://bedrock-runtime.{region}.amazonaws.com
  std::string control_endpoint;  // empty: https://bedrock.{region}.amazonaws.com
  std::chrono::milliseconds timeout = kDefaultBedrockTimeout;
  // Throttling and 5xx are retried with jittered backoff; a timed-out invocation is not sent
  // again (the model may have run, and been billed).
  net::RetryPolicy retry{.retry_timeouts = false};
};

// The Error that a failed InvokeModel answer means, naming the model and region:
// content_filtered for a content-filter refusal, rate_limited for throttling and quotas,
// provider_misconfigured for denied access, unknown models and rejected credentials,
// invalid_argument for other validation errors, provider_error for the rest (5xx, timeouts).
Error invoke_error(const net::HttpResponse& response, const std::string& model_id,
                   const std::string& region);

class BedrockClient {
 public:
  BedrockClient(BedrockOptions options, std::shared_ptr<aws::CredentialsCache> credentials);

  // InvokeModel with a JSON body; returns the model's JSON answer. Retries as the options say,
  // then throws invoke_error(...) for a failed answer, provider_error when Bedrock cannot be
  // reached or does not answer in time, canceled when `cancel` is set meanwhile. Thread-safe.
  std::string invoke_model(const std::string& model_id, const std::string& body,
                           const std::atomic<bool>* cancel = nullptr) const;
  // One InvokeModel, no retries, the answer as it is (for `rendermart providers check`).
  net::HttpResponse invoke_once(const std::string& model_id, const std::string& body) const;
  // A GET on the control plane with retries; the answer as it is. Throws provider_error when
  // Bedrock cannot be reached.
  net::HttpResponse control_get(const std::string& path, const aws::QueryList& query) const;

  const BedrockOptions& options() const { return options_; }
  // The credentials the chain yields now; throws provider_misconfigured naming the sources tried.
  aws::Credentials credentials() const;

 private:
  net::HttpResponse send(const std::string& endpoint, const std::string& method,
                         const std::string& path, const aws::QueryList& query,
                         const std::string& body, const std::atomic<bool>* cancel = nullptr) const;

  BedrockOptions options_;
  std::shared_ptr<aws::CredentialsCache> credentials_;
  aws::Signer signer_;
};

}  // namespace rendermart
