#pragma once

// What the cloud providers (Bedrock, OpenAI-compatible) share about a call that got no answer.

#include <string>

#include "aws/http_client.hpp"
#include "core/error.hpp"

namespace rendermart {

// The job's Error for a call to `where` that got no answer: canceled when the job's cancel flag
// abandoned it, provider_error (saying whether it timed out or was unreachable) otherwise.
Error transport_failure(const aws::TransportError& error, const std::string& where);

}  // namespace rendermart
