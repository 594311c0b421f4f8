#include "api/routes.hpp"

namespace rendermart::api {

void add_api_routes(http::Router& router, ApiContext& context) {
  add_auth_routes(router, context);
  add_key_routes(router, context);
  add_preference_routes(router, context);
  add_generation_routes(router, context);
  add_image_routes(router, context);
  add_model_routes(router, context);
  add_library_routes(router, context);
  add_user_routes(router, context);
  add_invitation_routes(router, context);
  add_health_routes(router, context);
  add_openai_routes(router, context);
}

}  // namespace rendermart::api
