#pragma once

// The one place where error codes become HTTP statuses, and the JSON shape of every error
// response: {"error": {"code": "...", "message": "...", "field": "..."}} (field only when set).

#include "core/error.hpp"
#include "http/message.hpp"

namespace rendermart::http {

unsigned http_status(ErrorCode code);

// The JSON error response for `error`, with the status http_status(error.code()). Used by the
// router for errors thrown by handlers and by the server for transport-level errors (malformed
// request, body over the limit), so that both look the same to clients.
Response error_response(const Error& error);

}  // namespace rendermart::http
