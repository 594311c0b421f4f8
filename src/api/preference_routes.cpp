#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_preference_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::GET, "/api/v1/me/preferences", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    return json_reply(200, render(context.preferences.get(user.id), write_preferences));
  });

  // PUT replaces the whole set; absent fields go back to "not set".
  router.add(Method::PUT, "/api/v1/me/preferences", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto body =
        parse_object(request, {"model", "style", "width", "height", "negative_prompt", "theme"});
    Preferences prefs;
    prefs.model = optional_string(body, "model").value_or("");
    prefs.style = optional_string(body, "style").value_or("");
    prefs.width = static_cast<int>(optional_integer(body, "width", 0, 8192).value_or(0));
    prefs.height = static_cast<int>(optional_integer(body, "height", 0, 8192).value_or(0));
    prefs.negative_prompt = optional_string(body, "negative_prompt").value_or("");
    prefs.theme = optional_string(body, "theme").value_or("system");
    return json_reply(200, render(context.preferences.put(user.id, prefs), write_preferences));
  });
}

}  // namespace rendermart::api
