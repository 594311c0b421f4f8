#include "core/error.hpp"

namespace rendermart {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::cross_site_request: return "cross_site_request";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::method_not_allowed: return "method_not_allowed";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unsupported_media_type: return "unsupported_media_type";
    case ErrorCode::range_not_satisfiable: return "range_not_satisfiable";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::quota_exceeded: return "quota_exceeded";
    case ErrorCode::canceled: return "canceled";
    case ErrorCode::provider_error: return "provider_error";
    case ErrorCode::model_error: return "model_error";
    case ErrorCode::content_filtered: return "content_filtered";
    case ErrorCode::provider_misconfigured: return "provider_misconfigured";
    case ErrorCode::storage_error: return "storage_error";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) {
  // The codes are numbered from 0 in declaration order, internal last.
  for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
    if (to_string(static_cast<ErrorCode>(i)) == text) return static_cast<ErrorCode>(i);
  }
  return std::nullopt;
}

}  // namespace rendermart
