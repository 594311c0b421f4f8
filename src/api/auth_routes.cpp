#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/password_work.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {
namespace {

const char* to_string(Registration registration) {
  switch (registration) {
    case Registration::open: return "open";
    case Registration::closed: return "closed";
    case Registration::invite: return "invite";
  }
  return "closed";
}

// 204 that also clears the session cookie: the caller's session ended.
http::Response signed_out(const ApiContext& context) {
  http::Response response;
  response.status = 204;
  response.set_header("Set-Cookie", expired_session_cookie(context));
  return response;
}

}  // namespace

void add_auth_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  const auto signed_in = [&context](unsigned status, const SignedIn& result) {
    auto response = json_reply(status, render_user_envelope(result.user));
    response.set_header("Set-Cookie", session_cookie(context, result.session_token));
    response.set_header("Cache-Control", "no-store");
    return response;
  };

  router.add(Method::GET, "/api/v1/auth/config", [&context](http::Request&) {
    JsonWriter w;
    w.begin_object();
    w.key("registration");
    w.value(to_string(context.accounts.options().registration));
    w.end_object();
    return json_reply(200, w.take());
  });

  router.add(Method::POST, "/api/v1/auth/register", [&context, signed_in](http::Request& request) {
    const auto body = parse_object(request, {"email", "password", "invite"});
    const auto client = context.trusted_proxies.client_address(request);
    context.accounts.check_registration_allowed(client);
    return on_password_pool(
        context, [&context, signed_in, client, email = required_string(body, "email"),
                  password = required_string(body, "password"),
                  invite = optional_string(body, "invite").value_or("")] {
          return signed_in(201, context.accounts.register_user(email, password, invite, client));
        });
  });

  router.add(Method::POST, "/api/v1/auth/login", [&context, signed_in](http::Request& request) {
    const auto body = parse_object(request, {"email", "password"});
    const auto client = context.trusted_proxies.client_address(request);
    auto email = required_string(body, "email");
    context.accounts.check_login_allowed(email, client);
    return on_password_pool(context, [&context, signed_in, client, email = std::move(email),
                                      password = required_string(body, "password")] {
      return signed_in(200, context.accounts.login(email, password, client));
    });
  });

  router.add(Method::POST, "/api/v1/auth/logout", [&context](http::Request& request) {
    const auto token = session_token(request);
    if (!token.empty()) context.accounts.logout(token);
    return signed_out(context);
  });

  router.add(Method::POST, "/api/v1/auth/logout-everywhere", [&context](http::Request& request) {
    context.accounts.sign_out_everywhere(require_user(context, request));
    return signed_out(context);
  });

  router.add(Method::POST, "/api/v1/auth/password", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto body = parse_object(request, {"current_password", "new_password"});
    return on_password_pool(context, [&context, user, token = session_token(request),
                                      current = required_string(body, "current_password"),
                                      next = required_string(body, "new_password")] {
      context.accounts.change_password(user, token, current, next);
      http::Response response;
      response.status = 204;
      return response;
    });
  });

  router.add(Method::POST, "/api/v1/auth/delete-account", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto body = parse_object(request, {"password"});
    return on_password_pool(
        context, [&context, user, password = required_string(body, "password")] {
          context.images.remove_files(context.accounts.delete_account(user, password));
          return signed_out(context);
        });
  });

  router.add(Method::GET, "/api/v1/auth/me", [&context](http::Request& request) {
    return json_reply(200, render_user_envelope(require_user(context, request)));
  });
}

}  // namespace rendermart::api
