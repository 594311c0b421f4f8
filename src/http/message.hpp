#pragma once

// Requests and responses as route handlers see them: plain values, independent of sockets, so
// that the same router serves the HTTP server and the AWS Lambda runtime.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/deferred_response.hpp"
#include "http/sse_channel.hpp"

namespace rendermart::http {

enum class Method { GET, HEAD, POST, PUT, PATCH, DELETE_, OPTIONS };

const char* to_string(Method method);
// The method named exactly (upper case) by `text`, or nothing for methods this server does not
// serve (TRACE, CONNECT, extensions).
std::optional<Method> method_from_string(std::string_view text);

struct Request {
  Method method = Method::GET;
  std::string target;                             // as received: path and query
  std::string path;                               // percent-decoded path, without the query
  std::multimap<std::string, std::string> query;  // percent-decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  // How the request reached this process, as the transport knows it (never from headers): the
  // scheme ("https" through API Gateway) and the address the client connected to (host:port of
  // the listening socket; the API's domain name under API Gateway).
  std::string scheme = "http";
  std::string local_address;
  std::string request_id;  // set by the server before routing
  // Unix ms by which the answer's work must be done, for transports that stop all of this
  // process's work once they have answered (the Lambda runtime); none for servers.
  std::optional<std::int64_t> deadline_ms;
  std::map<std::string, std::string> params;  // path parameters, e.g. {id}
  std::string route;                          // the matched pattern, e.g. /api/v1/images/{id}

  // First value of a header (name compared case-insensitively), or nothing.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> query_param(const std::string& name) const;
  const std::string& param(const std::string& name) const;
};

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // For stored files: the server answers If-None-Match with 304 and Range with 206/416 itself.
  std::string etag;  // without quotes; empty: none
  bool accept_ranges = false;

  // When set, the response is a Server-Sent Events stream fed by this channel; body is ignored.
  std::shared_ptr<SseChannel> events;
  // When set, the real response comes later from this; everything else here is ignored.
  std::shared_ptr<DeferredResponse> deferred;

  // Replaces the header of that name (compared case-insensitively), or adds it. Push to
  // `headers` directly for headers that repeat (Set-Cookie).
  void set_header(std::string name, std::string value);
  std::optional<std::string> header(std::string_view name) const;
};

// A response with that status, Content-Type application/json and that body.
Response json_response(unsigned status, std::string json_text);

}  // namespace rendermart::http
