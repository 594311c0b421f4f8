#include "lambda/runtime_client.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace rendermart::lambda {
namespace {

constexpr const char* kApiVersion = "/2018-06-01";

std::string error_body(const std::string& type, const std::string& message) {
  return nlohmann::json{
      {"errorMessage", message}, {"errorType", type}, {"stackTrace", nlohmann::json::array()}}
      .dump();
}

}  // namespace

RuntimeClient::RuntimeClient(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    throw std::runtime_error("AWS_LAMBDA_RUNTIME_API must be host:port, not \"" + endpoint + "\"");
  }
  base_url_ = "http://" + endpoint + kApiVersion;
}

net::HttpResponse RuntimeClient::call(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& error_type) {
  net::HttpRequest request;
  request.method = method;
  request.url = base_url_ + target;
  if (!error_type.empty()) {
    request.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  }
  if (method != "GET") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
  }
  // /next answers when Lambda has an event, after any time (the process may be frozen between).
  request.timeout = std::chrono::milliseconds::zero();
  return net::send(request);
}

Invocation RuntimeClient::next() {
  auto reply = call("GET", "/runtime/invocation/next", {}, {});
  if (reply.status != 200) {
    throw std::runtime_error("the runtime API answered " + std::to_string(reply.status) +
                             " to /runtime/invocation/next: " + reply.body);
  }
  const auto header = [&](const char* lower_name) { return reply.header(lower_name).value_or(""); };
  Invocation invocation;
  invocation.request_id = header("lambda-runtime-aws-request-id");
  invocation.trace_id = header("lambda-runtime-trace-id");
  invocation.function_arn = header("lambda-runtime-invoked-function-arn");
  if (invocation.request_id.empty()) {
    throw std::runtime_error(
        "the runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
  }
  try {
    invocation.deadline_ms = std::stoll(header("lambda-runtime-deadline-ms"));
  } catch (const std::exception&) {
    throw std::runtime_error(
        "the runtime API sent an invocation without a valid Lambda-Runtime-Deadline-Ms");
  }
  invocation.event = std::move(reply.body);
  return invocation;
}

void RuntimeClient::respond(const std::string& request_id, const std::string& body) {
  const auto reply = call("POST", "/runtime/invocation/" + request_id + "/response", body, {});
  if (reply.status != 202) {
    throw std::runtime_error("the runtime API refused the response of " + request_id + " (" +
                             std::to_string(reply.status) + "): " + reply.body);
  }
}

void RuntimeClient::fail(const std::string& request_id, const std::string& type,
                         const std::string& message) {
  const auto reply =
      call("POST", "/runtime/invocation/" + request_id + "/error", error_body(type, message), type);
  if (reply.status != 202) {
    throw std::runtime_error("the runtime API refused the error of " + request_id + " (" +
                             std::to_string(reply.status) + "): " + reply.body);
  }
}

void RuntimeClient::init_error(const std::string& type, const std::string& message) {
  call("POST", "/runtime/init/error", error_body(type, message), type);
}

}  // namespace rendermart::lambda
