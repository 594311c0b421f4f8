#include "lambda/invocation_handler.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/openai_errors.hpp"
#include "core/domain.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "http/sse_channel.hpp"
#include "http/status.hpp"
#include "lambda/api_gateway.hpp"

namespace rendermart::lambda {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kGenerationsPath = "/api/v1/generations";
constexpr const char* kOpenAiGenerationsPath = "/v1/images/generations";
// Kept back from the deadline to render the response and post it to the runtime API.
constexpr std::int64_t kResponseReserveMs = 1000;
// A generation is not started with less time than this left: even the built-in generator's
// smallest image, its thumbnails and the database round trips need it.
constexpr std::int64_t kMinimumGenerationMs = 2000;
// How often the job is read back while waiting, in case a status event was missed (another
// process may run the job when workers share the database).
constexpr auto kJobPollInterval = std::chrono::milliseconds(1000);

// An error in the shape the caller's API uses: OpenAI's under /v1, RenderMart's elsewhere.
http::Response error_for(const http::Request& request, const Error& error) {
  auto response = request.path.rfind("/v1/", 0) == 0 ? api::openai_error(error)
                                                     : http::error_response(error);
  response.set_header("X-Request-Id", request.request_id);
  return response;
}

std::int64_t time_left(std::int64_t deadline_ms) {
  return deadline_ms - kResponseReserveMs - now_millis();
}

// The status of the job in a generation's JSON, or nothing when the body is no job.
std::optional<JobStatus> job_status(const http::Response& response) {
  if (response.status != 200) return std::nullopt;
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("status") || !body["status"].is_string()) {
    return std::nullopt;
  }
  return job_status_from_string(body["status"].get<std::string>());
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

InvocationHandler::InvocationHandler(const http::Router& router, JobEvents& events,
                                     WorkerFactory make_workers, std::size_t max_body_bytes)
    : router_(router),
      events_(events),
      make_workers_(std::move(make_workers)),
      max_body_bytes_(max_body_bytes) {}

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
  const bool generation =
      request.method == http::Method::POST &&
      (request.path == kGenerationsPath || request.path == kOpenAiGenerationsPath);
  if (generation && time_left(deadline_ms) < kMinimumGenerationMs) {
    // Nothing is queued: no worker would ever take the job.
    const auto left = std::max<std::int64_t>(0, time_left(deadline_ms));
    return error_for(request, Error(ErrorCode::unavailable,
                                    "this function invocation has " + std::to_string(left) +
                                        " ms left, too little to generate: raise the function's "
                                        "timeout"));
  }
  auto response = router_.handle(request);
  if (generation && response.status == 202) {
    return run_generation(request, std::move(response), deadline_ms);
  }
  if (response.deferred) return finish_deferred(request, std::move(response), deadline_ms);
  if (response.events) return collect_events(std::move(response), deadline_ms);
  return response;
}

http::Response InvocationHandler::follow_up(const http::Request& original, http::Method method,
                                            const std::string& target) {
  http::Request request;
  request.method = method;
  request.target = target;
  request.path = target;
  request.headers = original.headers;
  std::erase_if(request.headers, [](const auto& header) {
    return header.first == "content-type" || header.first == "content-length" ||
           header.first.rfind("if-", 0) == 0 || header.first == "range";
  });
  request.remote_address = original.remote_address;
  request.scheme = original.scheme;
  request.local_address = original.local_address;
  request.request_id = original.request_id;
  return router_.handle(request);
}

http::Response InvocationHandler::run_generation(const http::Request& request,
                                                 http::Response accepted,
                                                 std::int64_t deadline_ms) {
  const auto location = accepted.header("Location").value_or("");
  const std::string prefix = std::string(kGenerationsPath) + "/";
  if (location.rfind(prefix, 0) != 0) {
    throw Error(ErrorCode::internal, "a queued generation came without its Location");
  }
  const auto job_id = location.substr(prefix.size());

  auto signal = std::make_shared<Signal>();
  auto subscription = events_.subscribe(job_id, [signal](const JobEvent& event) {
    if (event.type == JobEvent::Type::status && is_final(event.status)) signal->raise();
  });
  auto workers = make_workers_();
  workers->start();

  http::Response current;
  for (;;) {
    current = follow_up(request, http::Method::GET, location);
    const auto status = job_status(current);
    if (!status || is_final(*status) || time_left(deadline_ms) <= 0) break;
    signal->wait_for(wait_slice(deadline_ms, kJobPollInterval));
  }
  // A job in flight that is not this one goes back to the queue unharmed.
  workers->stop();

  auto status = job_status(current);
  if (status && !is_final(*status)) {
    // Out of time: cancel it, since no worker is left to run it later.
    current = follow_up(request, http::Method::POST, location + "/cancel");
    status = job_status(current);
    if (status != JobStatus::succeeded) {
      spdlog::warn("generation {} canceled: the function's deadline came first", job_id);
      current = error_for(
          request, Error(ErrorCode::unavailable,
                         "generation " + job_id +
                             " could not finish before this function's deadline and was canceled: "
                             "raise the function's timeout, or ask for fewer, smaller images or "
                             "fewer steps"));
    }
  }
  current.set_header("Location", location);
  return current;
}

http::Response InvocationHandler::finish_deferred(const http::Request& request,
                                                  http::Response pending,
                                                  std::int64_t deadline_ms) {
  const auto deferred = std::move(pending.deferred);
  const auto location = pending.header("Location").value_or("");
  // The response waits for a job that only these workers can run.
  auto workers = make_workers_();
  workers->start();
  std::optional<http::Response> response;
  while (!response && time_left(deadline_ms) > 0) {
    response = deferred->wait_for(wait_slice(deadline_ms, kJobPollInterval));
    if (!response) deferred->poll();
  }
  workers->stop();
  if (response) return std::move(*response);

  deferred->abandon();
  if (!location.empty()) follow_up(request, http::Method::POST, location + "/cancel");
  spdlog::warn("{} canceled: the function's deadline came first", location);
  return error_for(request, Error(ErrorCode::unavailable,
                                  "the generation could not finish before this function's deadline "
                                  "and was canceled: raise the function's timeout, or ask for "
                                  "fewer, smaller images"));
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
