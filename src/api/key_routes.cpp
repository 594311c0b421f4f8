#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_key_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::GET, "/api/v1/keys", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto write = [](JsonWriter& w, const ApiKey& key) { write_api_key(w, key); };
    return json_reply(200, render_items(context.accounts.list_keys(user), write));
  });

  router.add(Method::POST, "/api/v1/keys", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto body = parse_object(request, {"name"});
    const auto created = context.accounts.create_key(user, required_string(body, "name"));
    JsonWriter w;
    write_api_key(w, created.key, &created.secret);
    auto response = json_reply(201, w.take());
    response.set_header("Cache-Control", "no-store");
    return response;
  });

  router.add(Method::DELETE_, "/api/v1/keys/{id}", [&context](http::Request& request) {
    context.accounts.revoke_key(require_user(context, request), request.param("id"));
    http::Response response;
    response.status = 204;
    return response;
  });
}

}  // namespace rendermart::api
