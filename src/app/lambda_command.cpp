#include "app/lambda_command.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "app/wiring.hpp"
#include "core/error.hpp"
#include "lambda/api_gateway.hpp"
#include "lambda/invocation_handler.hpp"
#include "lambda/runtime_client.hpp"

namespace rendermart {

int run_lambda(const Config& config_in) {
  const char* endpoint = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (endpoint == nullptr || *endpoint == '\0') {
    throw Error(ErrorCode::invalid_argument,
                "AWS_LAMBDA_RUNTIME_API is not set: `rendermart lambda` runs inside AWS Lambda "
                "(use `rendermart serve` or `rendermart api` elsewhere)");
  }
  lambda::RuntimeClient runtime(endpoint);

  // One worker, released at once when the deadline comes: a function runs one request at a
  // time and only during an invocation.
  Config config = config_in;
  config.workers = 1;
  config.shutdown_grace_seconds = 0;
  std::unique_ptr<Platform> platform;
  std::unique_ptr<http::Router> router;
  try {
    platform = std::make_unique<Platform>(config);
    router = std::make_unique<http::Router>(platform->api_router());
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    runtime.init_error("Runtime.InitError", e.what());
    return 1;
  }
  lambda::InvocationHandler handler(
      *router, [&platform] { return platform->make_workers(); }, config.max_body_bytes);
  spdlog::info("rendermart {} lambda runtime ready: {}", RENDERMART_VERSION, describe(config));

  for (;;) {
    lambda::Invocation invocation;
    try {
      invocation = runtime.next();
    } catch (const std::exception& e) {
      spdlog::error("the Lambda runtime API failed: {}", e.what());
      return 1;
    }
    // X-Ray: the runtime passes the trace header on to the function's code this way.
    if (invocation.trace_id.empty()) {
      unsetenv("_X_AMZN_TRACE_ID");
    } else {
      setenv("_X_AMZN_TRACE_ID", invocation.trace_id.c_str(), 1);
    }
    try {
      try {
        runtime.respond(invocation.request_id,
                        handler.handle(invocation.event, invocation.deadline_ms));
      } catch (const lambda::InvalidEvent& e) {
        spdlog::warn("invocation {}: {}", invocation.request_id, e.what());
        runtime.fail(invocation.request_id, "InvalidEvent", e.what());
      } catch (const std::exception& e) {
        spdlog::error("invocation {} failed: {}", invocation.request_id, e.what());
        runtime.fail(invocation.request_id, "Runtime.HandlerError", e.what());
      }
    } catch (const std::exception& e) {
      spdlog::error("the Lambda runtime API failed: {}", e.what());
      return 1;
    }
  }
}

}  // namespace rendermart
