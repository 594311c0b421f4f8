#pragma once

// Amazon API Gateway's Lambda proxy events and responses, mapped onto the router's Request and
// Response. Three shapes exist: REST APIs send payload 1.0 without a "version" field, HTTP APIs
// send "version": "1.0" or "2.0". Format 2.0 joins repeated headers and query parameters with
// commas and carries cookies in their own array; 1.0 has multiValueHeaders and
// multiValueQueryStringParameters. Bodies arrive and leave as text or as base64
// (isBase64Encoded).

#include <cstddef>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace rendermart::lambda {

enum class PayloadVersion { rest_v1, http_v1, http_v2 };

// The invocation's payload is not an API Gateway proxy event (not JSON, or without the fields
// every proxy event has): there is no HTTP client to answer, so the invocation itself fails.
class InvalidEvent : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The shape of a proxy event; throws InvalidEvent for anything else.
PayloadVersion payload_version(const nlohmann::json& event);

// The request that the event describes: method, path without the stage prefix, query, headers
// (names lower-cased, cookies as one Cookie header), the body decoded, the caller's address and
// API Gateway's request id. Throws rendermart::Error for a request the API must refuse (bad
// base64, an unsupported method, a body over max_body_bytes); the caller answers it as an error
// response in the event's own format.
http::Request to_request(const nlohmann::json& event, PayloadVersion version,
                         std::size_t max_body_bytes);

// The proxy response for `version`. Textual bodies (text/*, JSON, XML, JavaScript) go as they
// are, everything else as base64. 2.0 joins repeated headers and puts Set-Cookie values in
// "cookies"; 1.0 sends every header in multiValueHeaders.
nlohmann::json to_gateway_response(const http::Response& response, PayloadVersion version);

}  // namespace rendermart::lambda
