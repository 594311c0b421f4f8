#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_auth_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  const auto signed_in = [&context](unsigned status, const SignedIn& result) {
    auto response = json_reply(status, render_user_envelope(result.user));
    response.set_header("Set-Cookie", session_cookie(context, result.session_token));
    response.set_header("Cache-Control", "no-store");
    return response;
  };

  router.add(Method::POST, "/api/v1/auth/register", [&context, signed_in](http::Request& request) {
    const auto body = parse_object(request, {"email", "password"});
    return signed_in(201, context.accounts.register_user(required_string(body, "email"),
                                                         required_string(body, "password")));
  });

  router.add(Method::POST, "/api/v1/auth/login", [&context, signed_in](http::Request& request) {
    const auto body = parse_object(request, {"email", "password"});
    return signed_in(200, context.accounts.login(required_string(body, "email"),
                                                 required_string(body, "password")));
  });

  router.add(Method::POST, "/api/v1/auth/logout", [&context](http::Request& request) {
    const auto token = session_token(request);
    if (!token.empty()) context.accounts.logout(token);
    http::Response response;
    response.status = 204;
    response.set_header("Set-Cookie", expired_session_cookie(context));
    return response;
  });

  router.add(Method::GET, "/api/v1/auth/me", [&context](http::Request& request) {
    return json_reply(200, render_user_envelope(require_user(context, request)));
  });
}

}  // namespace rendermart::api
