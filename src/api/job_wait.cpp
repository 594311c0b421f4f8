#include "api/job_wait.hpp"

#include <memory>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

#include "core/ids.hpp"

namespace rendermart::api {
namespace {

// A generation is not started with less time than this left: even the built-in generator's
// smallest image, its thumbnails and the database round trips need it.
constexpr std::int64_t kMinimumGenerationMs = 2000;

}  // namespace

void require_time_to_generate(const http::Request& request) {
  if (!request.deadline_ms) return;
  const auto left = *request.deadline_ms - now_millis();
  if (left >= kMinimumGenerationMs) return;
  throw Error(ErrorCode::unavailable,
              "this function invocation has " + std::to_string(std::max<std::int64_t>(0, left)) +
                  " ms left, too little to generate: raise the function's timeout");
}

http::Response await_job_end(ApiContext& context, const User& user, const Job& job,
                             std::function<http::Response(const Job&)> answer,
                             std::function<http::Response(const Error&)> error_reply) {
  struct Waiting {
    std::mutex mutex;
    JobEvents::Subscription subscription;
  };
  const std::string location = "/api/v1/generations/" + job.id;
  auto deferred = std::make_shared<http::DeferredResponse>();
  auto waiting = std::make_shared<Waiting>();
  const auto release = [waiting] {
    std::lock_guard lock(waiting->mutex);
    waiting->subscription.reset();
  };
  const auto located = [location](http::Response response) {
    response.set_header("Location", location);
    return response;
  };
  const http::DeferredResponse::Finish finish = [&context, user, id = job.id, answer, error_reply,
                                                 release, located] {
    release();
    try {
      return located(answer(context.generations.get(user, id)));
    } catch (const Error& e) {
      return located(error_reply(e));
    }
  };
  // Subscribe before reading the state again, so that no change falls between the two.
  {
    std::lock_guard lock(waiting->mutex);
    waiting->subscription =
        context.generations.events().subscribe(job.id, [deferred, finish](const JobEvent& event) {
          if (event.type == JobEvent::Type::status && is_final(event.status)) {
            deferred->resolve(finish);
          }
        });
  }
  deferred->set_on_abandon(release);
  deferred->set_on_deadline([&context, user, id = job.id, answer, error_reply, release, located] {
    release();
    try {
      const auto ended = context.generations.cancel(user, id);
      if (ended.status == JobStatus::succeeded) return located(answer(ended));
      spdlog::warn("generation {} canceled: the function's deadline came first", id);
      return located(error_reply(
          Error(ErrorCode::unavailable,
                "generation " + id +
                    " could not finish before this function's deadline and was canceled: raise the "
                    "function's timeout, or ask for fewer, smaller images or fewer steps")));
    } catch (const Error& e) {
      return located(error_reply(e));
    }
  });
  const auto check = [&context, user, id = job.id, weak = std::weak_ptr(deferred), finish] {
    const auto job_now = context.generations.get(user, id);
    if (auto waiting_deferred = weak.lock(); waiting_deferred && is_final(job_now.status)) {
      waiting_deferred->resolve(finish);
    }
  };
  // A notification lost on its way (a database reconnect) only delays the answer.
  deferred->set_poll([check] {
    try {
      check();
    } catch (const std::exception&) {
      // The database is unreachable now: the next period tries again.
    }
  });
  check();
  http::Response response;
  response.deferred = deferred;
  response.set_header("Location", location);
  return response;
}

}  // namespace rendermart::api
