#include "api/authentication.hpp"

#include <strings.h>

#include "core/error.hpp"

namespace rendermart::api {

std::string session_token(const http::Request& request) {
  const auto cookies = request.header("cookie");
  if (!cookies) return {};
  const std::string name = std::string(kSessionCookie) + "=";
  std::size_t pos = 0;
  while (pos < cookies->size()) {
    auto end = cookies->find(';', pos);
    if (end == std::string::npos) end = cookies->size();
    auto start = cookies->find_first_not_of(' ', pos);
    if (start != std::string::npos && start < end &&
        cookies->compare(start, name.size(), name) == 0) {
      return cookies->substr(start + name.size(), end - start - name.size());
    }
    pos = end + 1;
  }
  return {};
}

namespace {

// The user whose credentials the request carries, whatever the state of their account.
User authenticated_user(ApiContext& context, const http::Request& request) {
  if (const auto authorization = request.header("authorization")) {
    const std::string scheme = "Bearer ";
    if (authorization->size() > scheme.size() &&
        strncasecmp(authorization->c_str(), scheme.c_str(), scheme.size()) == 0) {
      if (auto user = context.accounts.user_for_api_key(authorization->substr(scheme.size()))) {
        return *user;
      }
    }
    throw Error(ErrorCode::unauthenticated, "the API key is not valid: create one under /keys");
  }
  const auto token = session_token(request);
  if (!token.empty()) {
    if (auto user = context.accounts.user_for_session(token)) return *user;
    throw Error(ErrorCode::unauthenticated, "your session has expired: sign in again");
  }
  throw Error(ErrorCode::unauthenticated,
              "sign in, or send an API key as 'Authorization: Bearer <key>'");
}

}  // namespace

User require_user(ApiContext& context, const http::Request& request) {
  auto user = authenticated_user(context, request);
  // Every request reads the user anew, or a session's user remembered until the account changes
  // (services/session_cache), so disabling an account stops its sessions and keys at once (in
  // other API processes when the database's notification arrives, milliseconds later).
  if (user.disabled) {
    throw Error(ErrorCode::unauthenticated,
                "this account is disabled: ask an administrator of this server to enable it");
  }
  context.quotas.check_request(user);
  return user;
}

std::string session_cookie(const ApiContext& context, const std::string& token) {
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(context.accounts.options().session_ttl)
          .count();
  return std::string(kSessionCookie) + "=" + token +
         "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age) +
         (context.secure_cookies ? "; Secure" : "");
}

std::string expired_session_cookie(const ApiContext& context) {
  return std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" +
         (context.secure_cookies ? "; Secure" : "");
}

}  // namespace rendermart::api
