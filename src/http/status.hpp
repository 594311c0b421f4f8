#pragma once

// The one place where error codes become HTTP statuses, and the JSON shape of every error
// response: {"error": {"code": "...", "message": "...", "field": "..."}} (field only when set),
// with a Retry-After header when the error says when to try again, and RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset when a limit refused the request.

#include "core/error.hpp"
#include "http/message.hpp"

namespace rendermart::http {

unsigned http_status(ErrorCode code);

// The JSON error response for `error`, with the status http_status(error.code()). Used by the
// router for errors thrown by handlers and by the server for transport-level errors (malformed
// request, body over the limit), so that both look the same to clients.
Response error_response(const Error& error);
// Retry-After and the RateLimit-* headers `error` calls for, on a response of any shape (the
// OpenAI-compatible routes have their own error bodies).
void set_retry_headers(const Error& error, Response& response);

}  // namespace rendermart::http
