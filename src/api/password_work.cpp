#include "api/password_work.hpp"

#include <memory>

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace rendermart::api {
namespace {

// Argon2id takes about a tenth of a second: a second is ample for the queue to move.
constexpr std::chrono::seconds kBusyRetryAfter{1};

}  // namespace

http::Response on_password_pool(ApiContext& context, std::function<http::Response()> work) {
  auto deferred = std::make_shared<http::DeferredResponse>();
  const bool queued = context.passwords.try_submit([deferred, work = std::move(work)] {
    // The response (or error) is made here; the server thread that resolves it only hands it on.
    try {
      auto response = std::make_shared<http::Response>(work());
      deferred->resolve([response] { return std::move(*response); });
    } catch (const Error& error) {
      deferred->resolve([error]() -> http::Response { throw error; });
    } catch (const std::exception& e) {
      spdlog::error("password work failed: {}", e.what());
      deferred->resolve(
          []() -> http::Response { throw Error(ErrorCode::internal, "internal error"); });
    }
  });
  if (!queued) {
    throw Error(ErrorCode::unavailable,
                "the server is busy checking passwords: try again in a second")
        .with_retry_after(kBusyRetryAfter);
  }
  http::Response response;
  response.deferred = std::move(deferred);
  return response;
}

}  // namespace rendermart::api
