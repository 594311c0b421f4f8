#include "lambda/runtime_client.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace rendermart::lambda {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr const char* kApiVersion = "/2018-06-01";
// Lambda's largest synchronous payload is 6 MB; the limit leaves room above that, so that an
// oversized event fails in Lambda, not in this parser.
constexpr std::uint64_t kMaxEventBytes = 32ull * 1024 * 1024;

std::string header(const bhttp::response<bhttp::string_body>& message, const char* name) {
  const auto value = message[name];
  return {value.data(), value.size()};
}

std::string error_body(const std::string& type, const std::string& message) {
  return nlohmann::json{
      {"errorMessage", message}, {"errorType", type}, {"stackTrace", nlohmann::json::array()}}
      .dump();
}

}  // namespace

struct RuntimeClient::Reply {
  unsigned status = 0;
  bhttp::response<bhttp::string_body> message;
};

RuntimeClient::RuntimeClient(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    throw std::runtime_error("AWS_LAMBDA_RUNTIME_API must be host:port, not \"" + endpoint + "\"");
  }
  host_ = endpoint.substr(0, colon);
  port_ = endpoint.substr(colon + 1);
}

RuntimeClient::Reply RuntimeClient::call(const std::string& method, const std::string& target,
                                         const std::string& body, const std::string& error_type) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  asio::ip::tcp::resolver resolver(io);
  stream.connect(resolver.resolve(host_, port_));

  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method),
                                             std::string(kApiVersion) + target, 11);
  request.set(bhttp::field::host, host_ + ":" + port_);
  request.set(bhttp::field::user_agent, "rendermart/" RENDERMART_VERSION);
  if (!error_type.empty()) request.set("Lambda-Runtime-Function-Error-Type", error_type);
  if (method != "GET") {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
  }
  bhttp::write(stream, request);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxEventBytes);
  bhttp::read(stream, buffer, parser);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);

  Reply reply;
  reply.message = parser.release();
  reply.status = reply.message.result_int();
  return reply;
}

Invocation RuntimeClient::next() {
  auto reply = call("GET", "/runtime/invocation/next", {}, {});
  if (reply.status != 200) {
    throw std::runtime_error("the runtime API answered " + std::to_string(reply.status) +
                             " to /runtime/invocation/next: " + reply.message.body());
  }
  Invocation invocation;
  invocation.request_id = header(reply.message, "Lambda-Runtime-Aws-Request-Id");
  invocation.trace_id = header(reply.message, "Lambda-Runtime-Trace-Id");
  invocation.function_arn = header(reply.message, "Lambda-Runtime-Invoked-Function-Arn");
  if (invocation.request_id.empty()) {
    throw std::runtime_error(
        "the runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
  }
  try {
    invocation.deadline_ms = std::stoll(header(reply.message, "Lambda-Runtime-Deadline-Ms"));
  } catch (const std::exception&) {
    throw std::runtime_error(
        "the runtime API sent an invocation without a valid Lambda-Runtime-Deadline-Ms");
  }
  invocation.event = std::move(reply.message.body());
  return invocation;
}

void RuntimeClient::respond(const std::string& request_id, const std::string& body) {
  const auto reply = call("POST", "/runtime/invocation/" + request_id + "/response", body, {});
  if (reply.status != 202) {
    throw std::runtime_error("the runtime API refused the response of " + request_id + " (" +
                             std::to_string(reply.status) + "): " + reply.message.body());
  }
}

void RuntimeClient::fail(const std::string& request_id, const std::string& type,
                         const std::string& message) {
  const auto reply =
      call("POST", "/runtime/invocation/" + request_id + "/error", error_body(type, message), type);
  if (reply.status != 202) {
    throw std::runtime_error("the runtime API refused the error of " + request_id + " (" +
                             std::to_string(reply.status) + "): " + reply.message.body());
  }
}

void RuntimeClient::init_error(const std::string& type, const std::string& message) {
  call("POST", "/runtime/init/error", error_body(type, message), type);
}

}  // namespace rendermart::lambda
