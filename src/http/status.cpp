#include "http/status.hpp"

#include "core/json_writer.hpp"
#include "core/limit_exceeded.hpp"

namespace rendermart::http {

unsigned http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::invalid_json: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::cross_site_request: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::conflict: return 409;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::range_not_satisfiable: return 416;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::quota_exceeded: return 429;
    case ErrorCode::canceled: return 409;
    case ErrorCode::content_filtered: return 422;
    case ErrorCode::provider_error: return 502;
    case ErrorCode::provider_misconfigured: return 502;
    case ErrorCode::model_error: return 500;
    case ErrorCode::storage_error: return 502;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

Response error_response(const Error& error) {
  // Messages may quote client input that is not UTF-8: the writer replaces invalid bytes.
  // Keys in alphabetical order, as in every response (see api/render.hpp).
  JsonWriter w;
  w.begin_object();
  w.key("error");
  w.begin_object();
  w.key("code");
  w.value(to_string(error.code()));
  if (!error.field().empty()) {
    w.key("field");
    w.value(error.field());
  }
  w.key("message");
  w.value(error.what());
  w.end_object();
  w.end_object();
  auto response = json_response(http_status(error.code()), w.take());
  set_retry_headers(error, response);
  return response;
}

void set_retry_headers(const Error& error, Response& response) {
  const auto retry_after = error.retry_after().count();
  if (retry_after > 0) response.set_header("Retry-After", std::to_string(retry_after));
  // The fields of the IETF draft "RateLimit header fields for HTTP", as separate headers.
  if (const auto* limit = dynamic_cast<const LimitExceeded*>(&error)) {
    response.set_header("RateLimit-Limit", std::to_string(limit->limit()));
    response.set_header("RateLimit-Remaining", "0");
    if (retry_after > 0) response.set_header("RateLimit-Reset", std::to_string(retry_after));
  }
}

}  // namespace rendermart::http
