#pragma once

#include "api/api_context.hpp"
#include "http/router.hpp"

namespace rendermart::api {

// One function per resource file; add_api_routes adds them all.
void add_auth_routes(http::Router& router, ApiContext& context);
void add_key_routes(http::Router& router, ApiContext& context);
void add_preference_routes(http::Router& router, ApiContext& context);
void add_generation_routes(http::Router& router, ApiContext& context);
void add_image_routes(http::Router& router, ApiContext& context);
void add_model_routes(http::Router& router, ApiContext& context);
// The model library for administrators under /api/v1/admin/models.
void add_library_routes(http::Router& router, ApiContext& context);
// Single-use invitations to register, for administrators, under /api/v1/admin/invitations.
void add_invitation_routes(http::Router& router, ApiContext& context);
void add_health_routes(http::Router& router, ApiContext& context);
// Usage and limits: /api/v1/me/usage, and /api/v1/admin/users for administrators.
void add_user_routes(http::Router& router, ApiContext& context);
// The OpenAI-compatible images API under /v1.
void add_openai_routes(http::Router& router, ApiContext& context);

void add_api_routes(http::Router& router, ApiContext& context);

}  // namespace rendermart::api
