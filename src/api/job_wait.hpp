#pragma once

// Answering once a generation has ended, without holding a server thread meanwhile: the
// OpenAI-compatible endpoint always does, and POST /api/v1/generations does under a transport
// with a deadline (the Lambda runtime), where nothing runs the job after the answer.

#include <functional>

#include "api/api_context.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace rendermart::api {

// Under a transport with a deadline: refuses (unavailable), before anything is queued, a
// generation that could not finish in the time left. Does nothing for servers.
void require_time_to_generate(const http::Request& request);

// A deferred response resolved when the job reaches a final state (its status event, or the
// server's periodic look should a notification be lost): `answer` makes the response for the
// ended job, `error_reply` renders errors in the endpoint's shape. At the transport's deadline
// the job is canceled and the answer says so (or gives the images, had it just succeeded).
// Every answer names the job in Location.
http::Response await_job_end(ApiContext& context, const User& user, const Job& job,
                             std::function<http::Response(const Job&)> answer,
                             std::function<http::Response(const Error&)> error_reply);

}  // namespace rendermart::api
