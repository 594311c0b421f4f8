#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_model_routes(http::Router& router, ApiContext& context) {
  // Public: the capabilities of the models are not a user's data.
  router.add(http::Method::GET, "/api/v1/models", [&context](http::Request&) {
    return json_reply(200, render_items(context.catalog.models(), write_model));
  });
}

}  // namespace rendermart::api
