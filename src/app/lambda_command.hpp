#pragma once

#include "app/config.hpp"

namespace rendermart {

// `rendermart lambda`: the AWS Lambda custom runtime. Serves API Gateway events from the
// runtime API in AWS_LAMBDA_RUNTIME_API until the runtime API goes away; returns the exit code.
int run_lambda(const Config& config);

}  // namespace rendermart
