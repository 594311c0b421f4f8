#include "api/routes.hpp"

#include "api/cross_site.hpp"
#include "http/security_headers.hpp"

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
  router.set_guard(
      [&context](const http::Request& request) { refuse_cross_site(context.public_url, request); });
  router.set_finisher(http::SecurityHeaders{.https_only = context.secure_cookies});
}

}  // namespace rendermart::api
