#pragma once

// Route handlers whose work hashes or verifies a password (sign-in, sign-up, password change,
// account deletion) hand that work to the PasswordPool and answer later, holding no HTTP thread
// meanwhile; when the pool's queue is full they answer 503 with Retry-After at once.

#include <functional>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace rendermart::api {

// Runs `work` on the pool; the response is what it returns, or the error it throws.
http::Response on_password_pool(ApiContext& context, std::function<http::Response()> work);

}  // namespace rendermart::api
