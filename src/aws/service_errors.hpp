#pragma once

// What AWS services say in a failed response, and which failures are worth another try.

#include <string>

#include "net/http_client.hpp"

namespace rendermart::aws {

// The AWS error code of a failed response: the x-amzn-ErrorType header, the <Code> of an XML
// error, or "__type"/"code" of a JSON error; empty when there is none.
std::string error_code(const net::HttpResponse& response);

// 5xx, 429 and the throttling / timeout error codes that AWS services answer with other
// statuses: the `retryable` of net::with_retries for AWS calls.
bool is_retryable(const net::HttpResponse& response);

}  // namespace rendermart::aws
