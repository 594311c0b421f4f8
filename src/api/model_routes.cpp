#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_model_routes(http::Router& router, ApiContext& context) {
  // Public: the capabilities of the models are not a user's data.
  router.add(http::Method::GET, "/api/v1/models", [&context](http::Request&) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& model : context.catalog.models()) items.push_back(render_model(model));
    return json_reply(200, {{"items", items}});
  });
}

}  // namespace rendermart::api
