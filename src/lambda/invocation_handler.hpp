#pragma once

// One Lambda invocation: an API Gateway event in, the proxy response out, through the same
// router as the HTTP server. Two things differ from a server, and are handled here:
// - A function has no background workers, so POST /api/v1/generations runs the job to the end
//   inside the invocation (on a worker pool that lives only as long as the request) and answers
//   200 with the finished generation; a job that cannot finish before the function's deadline
//   is canceled and answered 503. With too little time left, no job is created at all.
//   The same holds for the OpenAI-compatible POST /v1/images/generations, whose response waits
//   for its job (a deferred response).
// - Responses cannot stream, so an event stream (SSE) is collected until it closes or the
//   deadline nears, and sent as one body.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/job_events.hpp"
#include "http/router.hpp"
#include "services/worker_pool.hpp"

namespace rendermart::lambda {

// Lambda's largest synchronous response payload (6 MB).
inline constexpr std::size_t kMaxResponseBytes = 6 * 1024 * 1024;

class InvocationHandler {
 public:
  using WorkerFactory = std::function<std::unique_ptr<WorkerPool>()>;

  // `make_workers` builds a pool that is not started yet; the handler starts and stops it.
  InvocationHandler(const http::Router& router, JobEvents& events, WorkerFactory make_workers,
                    std::size_t max_body_bytes);

  // The proxy response (JSON) for one event, to be sent before deadline_ms (Unix ms). Throws
  // InvalidEvent when the event is no API Gateway proxy event. Thread: the runtime loop's.
  std::string handle(const std::string& event_json, std::int64_t deadline_ms);

 private:
  http::Response respond(http::Request& request, std::int64_t deadline_ms);
  http::Response run_generation(const http::Request& request, http::Response accepted,
                                std::int64_t deadline_ms);
  http::Response finish_deferred(const http::Request& request, http::Response pending,
                                 std::int64_t deadline_ms);
  http::Response collect_events(http::Response response, std::int64_t deadline_ms);
  // Routes a follow-up request (GET or POST on `target`) with the caller's credentials.
  http::Response follow_up(const http::Request& original, http::Method method,
                           const std::string& target);

  const http::Router& router_;
  JobEvents& events_;
  WorkerFactory make_workers_;
  std::size_t max_body_bytes_;
};

}  // namespace rendermart::lambda
