#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rendermart {

// The one vocabulary of errors. Each code is stable (it is part of the API) and maps to exactly
// one HTTP status in http/status.cpp.
enum class ErrorCode {
  invalid_argument,    // a field has a wrong type or value; `field` names it
  invalid_json,        // the body is not JSON, or not UTF-8
  unauthenticated,     // no credentials, or bad or expired ones
  forbidden,           // authenticated but not allowed (e.g. admin-only, registration closed)
  cross_site_request,  // a browser request with the session cookie that did not come from
                       // this service's own pages (CSRF protection)
  not_found,           // no such resource, or it belongs to someone else
  method_not_allowed,  // the path exists with other methods
  conflict,            // e.g. the e-mail is taken
  payload_too_large,   // the body is over the configured limit
  unsupported_media_type,
  range_not_satisfiable,
  rate_limited,      // too many requests: try again after Retry-After
  quota_exceeded,    // a user's quota (jobs in flight, images per day, stored bytes) is used up
  canceled,          // the job was canceled
  provider_error,    // the model provider failed
  model_error,       // a model's files are missing, corrupt, or of an unsupported architecture
  content_filtered,  // the provider refused the prompt or the result
  provider_misconfigured,  // the provider refuses this server's credentials, or the model is
                           // not enabled for them: an operator must fix the configuration
  storage_error,           // the blob store failed
  unavailable,             // a dependency (database, storage) is unreachable
  internal,                // a bug: logged with the request id
};

std::string_view to_string(ErrorCode code);
// The code of that name (as stored with a failed job), or nothing.
std::optional<ErrorCode> error_code_from_string(std::string_view text);

// Thrown by services and stores; caught once at the edge of each request, job or command.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}

  ErrorCode code() const { return code_; }
  const std::string& field() const { return field_; }

  // When the same request may succeed again (a limit that resets, a full queue): clients get it
  // as the Retry-After header. Zero: not said.
  std::chrono::seconds retry_after() const { return retry_after_; }
  Error& with_retry_after(std::chrono::seconds delay) {
    retry_after_ = delay;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string field_;
  std::chrono::seconds retry_after_{0};
};

inline Error invalid_argument(std::string field, const std::string& message) {
  return Error(ErrorCode::invalid_argument, message, std::move(field));
}

inline Error not_found(std::string what) {
  return Error(ErrorCode::not_found, std::move(what) + " not found");
}

}  // namespace rendermart
