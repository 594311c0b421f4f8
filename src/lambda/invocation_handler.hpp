#pragma once

// One Lambda invocation: an API Gateway event in, the proxy response out, through the same
// router as the HTTP server. Two things differ from a server, and are handled here:
// - A function has no background workers and stops at its answer. Requests carry the deadline
//   (Request::deadline_ms), so the generation routes refuse a generation that could not finish
//   in time, and wait for its end (a deferred response) instead of answering 202. While a
//   response waits, a worker pool that lives only as long as the request runs the job; at the
//   deadline the response's own hook cancels it and answers (503, in the endpoint's shape).
// - Responses cannot stream, so an event stream (SSE) is collected until it closes or the
//   deadline nears, and sent as one body.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "services/worker_pool.hpp"

namespace rendermart::lambda {

// Lambda's largest synchronous response payload (6 MB).
inline constexpr std::size_t kMaxResponseBytes = 6 * 1024 * 1024;

class InvocationHandler {
 public:
  using WorkerFactory = std::function<std::unique_ptr<WorkerPool>()>;

  // `make_workers` builds a pool that is not started yet; the handler starts and stops it.
  InvocationHandler(const http::Router& router, WorkerFactory make_workers,
                    std::size_t max_body_bytes);

  // The proxy response (JSON) for one event, to be sent before deadline_ms (Unix ms). Throws
  // InvalidEvent when the event is no API Gateway proxy event. Thread: the runtime loop's.
  std::string handle(const std::string& event_json, std::int64_t deadline_ms);

 private:
  http::Response respond(http::Request& request, std::int64_t deadline_ms);
  http::Response finish_deferred(http::Response pending, std::int64_t deadline_ms);
  http::Response collect_events(http::Response response, std::int64_t deadline_ms);

  const http::Router& router_;
  WorkerFactory make_workers_;
  std::size_t max_body_bytes_;
};

}  // namespace rendermart::lambda
