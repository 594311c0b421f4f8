#pragma once

// What the cloud providers (Bedrock, OpenAI-compatible) share about making a call.

#include <functional>
#include <string>

#include "aws/http_client.hpp"

namespace rendermart {

// `attempt` under the policy's retries (aws::with_retries). A call to `where` that gets no answer
// throws the job's Error: canceled when the job's cancel flag abandoned it, provider_error
// (saying whether it timed out or was unreachable) otherwise.
aws::HttpResponse call_with_retries(const aws::RetryPolicy& policy,
                                    const std::function<aws::HttpResponse()>& attempt,
                                    const std::string& where);

}  // namespace rendermart
