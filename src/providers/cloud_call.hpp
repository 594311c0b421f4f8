#pragma once

// What the cloud providers (Bedrock, OpenAI-compatible) share about making a call.

#include <functional>
#include <string>

#include "net/http_client.hpp"

namespace rendermart {

// `attempt` under the policy's retries (net::with_retries, retrying what `retryable` says). A call
// to `where` that gets no answer throws the job's Error: canceled when the job's cancel flag
// abandoned it, provider_error (saying whether it timed out or was unreachable) otherwise.
net::HttpResponse call_with_retries(
    const net::RetryPolicy& policy, const std::function<net::HttpResponse()>& attempt,
    const std::string& where,
    const std::function<bool(const net::HttpResponse&)>& retryable = net::is_busy);

}  // namespace rendermart
