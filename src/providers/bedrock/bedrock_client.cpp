#include "providers/bedrock/bedrock_client.hpp"

#include <nlohmann/json.hpp>

#include "aws/service_errors.hpp"
#include "providers/cloud_call.hpp"

namespace rendermart {
namespace {

// The host part of an endpoint URL (scheme://host[:port]), for the signed Host header.
std::string host_of(const std::string& endpoint) {
  const auto separator = endpoint.find("://");
  return separator == std::string::npos ? endpoint : endpoint.substr(separator + 3);
}

// The "message" (or "Message") of a rest-json error body; empty when there is none.
std::string error_message(const net::HttpResponse& response) {
  const auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (!json.is_object()) return {};
  for (const char* key : {"message", "Message"}) {
    if (json.contains(key) && json[key].is_string()) return json[key].get<std::string>();
  }
  return {};
}

}  // namespace

Error invoke_error(const net::HttpResponse& response, const std::string& model_id,
                   const std::string& region) {
  const std::string code = aws::error_code(response);
  const std::string message = error_message(response);
  const std::string where = "Bedrock model '" + model_id + "' in " + region;
  const std::string detail = "HTTP " + std::to_string(response.status) +
                             (code.empty() ? "" : " " + code) +
                             (message.empty() ? "" : ": " + message);
  // Nova reports a prompt or input image refused by its content filters as a validation error.
  if (code == "ValidationException" && message.find("content filters") != std::string::npos) {
    return Error(ErrorCode::content_filtered,
                 where + " refused the request (" + detail + "): change the prompt or the image");
  }
  if (code == "ThrottlingException" || code == "ModelNotReadyException" ||
      code == "ServiceQuotaExceededException" || response.status == 429) {
    return Error(ErrorCode::rate_limited,
                 where + " is throttling this account (" + detail +
                     "); retried with backoff without success: try again later, or raise the "
                     "account's Bedrock quotas");
  }
  if (code == "AccessDeniedException") {
    const std::string fix =
        "enable the model for this account in the Bedrock console (Model "
        "access) in " +
        region + ", and allow bedrock:InvokeModel on it in the IAM policy";
    return Error(ErrorCode::provider_misconfigured,
                 where + " denied access (" + detail + "): " + fix);
  }
  if (code == "ResourceNotFoundException") {
    return Error(ErrorCode::provider_misconfigured,
                 where + " does not exist (" + detail +
                     "): check RENDERMART_BEDROCK_MODELS and RENDERMART_BEDROCK_REGION");
  }
  if (response.status == 401 || response.status == 403) {
    return Error(ErrorCode::provider_misconfigured,
                 where + " rejected this server's AWS credentials (" + detail +
                     "): check the access key, secret, session token and clock");
  }
  if (code == "ModelTimeoutException") {
    return Error(ErrorCode::provider_error, where + " took too long (" + detail + ")");
  }
  if (response.status == 400 || response.status == 413 || response.status == 422) {
    return Error(ErrorCode::invalid_argument, where + " rejected the request (" + detail + ")");
  }
  return Error(ErrorCode::provider_error, where + " failed (" + detail + ")");
}

BedrockClient::BedrockClient(BedrockOptions options,
                             std::shared_ptr<aws::CredentialsCache> credentials)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      signer_({.region = options_.region, .service = "bedrock"}) {
  if (options_.runtime_endpoint.empty()) {
    options_.runtime_endpoint = "https://bedrock-runtime." + options_.region + ".amazonaws.com";
  }
  if (options_.control_endpoint.empty()) {
    options_.control_endpoint = "https://bedrock." + options_.region + ".amazonaws.com";
  }
}

aws::Credentials BedrockClient::credentials() const {
  try {
    return credentials_->get();
  } catch (const Error& e) {
    throw Error(ErrorCode::provider_misconfigured,
                std::string("Bedrock needs AWS credentials: ") + e.what());
  }
}

net::HttpResponse BedrockClient::send(const std::string& endpoint, const std::string& method,
                                      const std::string& path, const aws::QueryList& query,
                                      const std::string& body,
                                      const std::atomic<bool>* cancel) const {
  aws::SignableRequest signable{
      .method = method, .path = path, .query = query, .payload_hash = aws::sha256_hex(body)};
  signable.headers.emplace_back("host", host_of(endpoint));
  if (!body.empty()) signable.headers.emplace_back("content-type", "application/json");
  signable.headers.emplace_back("accept", "application/json");
  signer_.sign(signable, credentials(), aws::Clock::now());
  net::HttpRequest request;
  request.method = method;
  request.url = endpoint + aws::Signer::wire_path(path);
  if (!query.empty()) request.url += "?" + aws::Signer::canonical_query(query);
  request.headers = std::move(signable.headers);
  request.body = body;
  request.timeout = options_.timeout;
  request.cancel = cancel;
  return net::send(request);
}

std::string BedrockClient::invoke_model(const std::string& model_id, const std::string& body,
                                        const std::atomic<bool>* cancel) const {
  const std::string path = "/model/" + model_id + "/invoke";
  const net::HttpResponse response = call_with_retries(
      options_.retry,
      [&] { return send(options_.runtime_endpoint, "POST", path, {}, body, cancel); },
      "Bedrock model '" + model_id + "' in " + options_.region, aws::is_retryable);
  if (response.status != 200) {
    // Rejected credentials may have expired meanwhile: the next call loads them again.
    if (response.status == 403) credentials_->invalidate();
    throw invoke_error(response, model_id, options_.region);
  }
  return std::move(response.body);
}

net::HttpResponse BedrockClient::invoke_once(const std::string& model_id,
                                             const std::string& body) const {
  try {
    return send(options_.runtime_endpoint, "POST", "/model/" + model_id + "/invoke", {}, body);
  } catch (const net::TransportError& e) {
    throw Error(ErrorCode::provider_error, std::string("Bedrock is unreachable: ") + e.what());
  }
}

net::HttpResponse BedrockClient::control_get(const std::string& path,
                                             const aws::QueryList& query) const {
  try {
    return net::with_retries(
        options_.retry, [&] { return send(options_.control_endpoint, "GET", path, query, ""); },
        aws::is_retryable);
  } catch (const net::TransportError& e) {
    throw Error(ErrorCode::provider_error, "Bedrock's control plane " + options_.control_endpoint +
                                               " is unreachable: " + e.what());
  }
}

}  // namespace rendermart
