#pragma once

// The AWS Lambda runtime API (version 2018-06-01) as a custom runtime uses it: fetch the next
// invocation, then post its response or its error; report a failed start-up as an init error.
// Plain HTTP/1.1 to the endpoint in AWS_LAMBDA_RUNTIME_API ("host:port") through the outbound
// client (net/http_client.hpp). Not thread-safe: the runtime loop is the only caller.

#include <cstdint>
#include <string>

#include "net/http_client.hpp"

namespace rendermart::lambda {

struct Invocation {
  std::string request_id;  // Lambda-Runtime-Aws-Request-Id
  // Lambda-Runtime-Deadline-Ms: when the function times out (Unix ms).
  std::int64_t deadline_ms = 0;
  std::string trace_id;      // Lambda-Runtime-Trace-Id (X-Ray), empty when absent
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string event;         // the payload, a JSON document
};

class RuntimeClient {
 public:
  // Throws std::runtime_error when the endpoint is not "host:port".
  explicit RuntimeClient(const std::string& endpoint);

  // Blocks until Lambda hands over the next event; no timeout, since the process may be frozen
  // for any time in between. Throws std::runtime_error when the runtime API fails.
  Invocation next();
  // Sends the invocation's result. Throws std::runtime_error when the runtime API refuses it
  // (e.g. 413: the response is over Lambda's payload limit).
  void respond(const std::string& request_id, const std::string& body);
  // Reports that the invocation failed (errorType, errorMessage), e.g. for an event that is no
  // API Gateway request.
  void fail(const std::string& request_id, const std::string& type, const std::string& message);
  // Reports that the runtime could not start; Lambda then ends the execution environment.
  void init_error(const std::string& type, const std::string& message);

 private:
  net::HttpResponse call(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& error_type);

  std::string base_url_;  // http://host:port/2018-06-01
};

}  // namespace rendermart::lambda
