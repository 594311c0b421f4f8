#include "lambda/invocation_handler.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "http/sse_channel.hpp"
#include "http/status.hpp"
#include "lambda/api_gateway.hpp"

namespace rendermart::lambda {
namespace {

using Clock = std::chrono::steady_clock;

// Kept back from the deadline to render the response and post it to the runtime API.
constexpr std::int64_t kResponseReserveMs = 1000;
// How often a waiting response looks again, in case a notification was missed (another process
// may run the job when workers share the database).
constexpr auto kJobPollInterval = std::chrono::milliseconds(1000);

std::int64_t time_left(std::int64_t deadline_ms) {
  return deadline_ms - kResponseReserveMs - now_millis();
}

// Wakes the waiting thread from another thread (job events, SSE pushes). Shared, so that a
// late notification after the wait ended touches nothing that is gone.
struct Signal {
  std::mutex mutex;
  std::condition_variable cv;
  bool raised = false;

  void raise() {
    {
      std::lock_guard lock(mutex);
      raised = true;
    }
    cv.notify_all();
  }
  void wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, timeout, [this] { return raised; });
    raised = false;
  }
};

std::chrono::milliseconds wait_slice(std::int64_t deadline_ms, std::chrono::milliseconds most) {
  return std::clamp(std::chrono::milliseconds(time_left(deadline_ms)), std::chrono::milliseconds(0),
                    most);
}

}  // namespace

InvocationHandler::InvocationHandler(const http::Router& router, WorkerFactory make_workers,
                                     std::size_t max_body_bytes)
    : router_(router), make_workers_(std::move(make_workers)), max_body_bytes_(max_body_bytes) {}

std::string InvocationHandler::handle(const std::string& event_json, std::int64_t deadline_ms) {
  const auto event = nlohmann::json::parse(event_json, nullptr, false);
  if (event.is_discarded()) throw InvalidEvent("the event is not valid JSON");
  const auto version = payload_version(event);

  http::Response response;
  try {
    auto request = to_request(event, version, max_body_bytes_);
    response = respond(request, deadline_ms);
    // Responses that came later than handle() (generations, deferred ones) get the same
    // headers as the rest.
    router_.finish(request, response);
  } catch (const Error& error) {
    // The request never reached the router: answer as the router would.
    response = http::error_response(error);
  }
  // Invalid UTF-8 in a textual body must not fail the invocation: it is replaced.
  auto out = to_gateway_response(response, version)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (out.size() > kMaxResponseBytes) {
    spdlog::warn("response of {} bytes is over the Lambda limit", out.size());
    out = to_gateway_response(
              http::error_response(Error(
                  ErrorCode::payload_too_large,
                  "the response (" + std::to_string(out.size()) +
                      " bytes) is over AWS Lambda's 6 MB limit: set RENDERMART_DOWNLOADS=redirect "
                      "so that image files come from presigned storage URLs")),
              version)
              .dump();
  }
  return out;
}

http::Response InvocationHandler::respond(http::Request& request, std::int64_t deadline_ms) {
  request.deadline_ms = deadline_ms - kResponseReserveMs;
  auto response = router_.handle(request);
  if (response.deferred) return finish_deferred(std::move(response), deadline_ms);
  if (response.events) return collect_events(std::move(response), deadline_ms);
  return response;
}

http::Response InvocationHandler::finish_deferred(http::Response pending,
                                                  std::int64_t deadline_ms) {
  const auto deferred = std::move(pending.deferred);
  // The response may wait for a job that only these workers can run.
  auto workers = make_workers_();
  workers->start();
  std::optional<http::Response> response;
  while (!response && time_left(deadline_ms) > 0) {
    response = deferred->wait_for(wait_slice(deadline_ms, kJobPollInterval));
    if (!response) deferred->poll();
  }
  // A job in flight goes back to the queue unharmed; the deadline's answer cancels it.
  workers->stop();
  if (response) return std::move(*response);
  auto answer = deferred->at_deadline();
  deferred->abandon();
  if (answer) return std::move(*answer);
  return http::error_response(Error(ErrorCode::unavailable,
                                    "the request could not finish before this function's "
                                    "deadline: raise the function's timeout"));
}

http::Response InvocationHandler::collect_events(http::Response response,
                                                 std::int64_t deadline_ms) {
  auto channel = std::move(response.events);
  auto signal = std::make_shared<Signal>();
  channel->set_waker([signal] { signal->raise(); });
  std::string body;
  for (;;) {
    bool closed = false;
    for (const auto& event : channel->take(closed)) body += http::format_sse(event);
    if (closed || time_left(deadline_ms) <= 0) break;
    signal->wait_for(wait_slice(deadline_ms, std::chrono::milliseconds(1000)));
  }
  channel->disconnected();
  response.body = std::move(body);
  response.set_header("Content-Type", "text/event-stream");
  response.set_header("Cache-Control", "no-cache");
  return response;
}

}  // namespace rendermart::lambda
