#pragma once

// Errors in the shape OpenAI's API gives them ({"error": {"code", "message", "param", "type"}}),
// for the OpenAI-compatible routes under /v1.

#include "core/error.hpp"
#include "http/message.hpp"

namespace rendermart::api {

http::Response openai_error(const Error& error);

}  // namespace rendermart::api
