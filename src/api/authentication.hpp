#pragma once

#include <string>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace rendermart::api {

inline constexpr const char* kSessionCookie = "rm_session";

// The user behind the request's Bearer API key or session cookie, with the request counted
// against their request rate. Throws unauthenticated (a disabled account too) and
// LimitExceeded(rate_limited).
User require_user(ApiContext& context, const http::Request& request);

// The session token from the Cookie header, or empty.
std::string session_token(const http::Request& request);

std::string session_cookie(const ApiContext& context, const std::string& token);
std::string expired_session_cookie(const ApiContext& context);

}  // namespace rendermart::api
