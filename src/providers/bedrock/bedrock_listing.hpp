#pragma once

// ListFoundationModels for the image models of one region
// (GET /foundation-models?byOutputModality=IMAGE,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html), with
// each model's lifecycle: modelLifecycle.status (ACTIVE | LEGACY) and, when Bedrock gives it,
// modelLifecycle.endOfLifeTime (API_FoundationModelLifecycle.html).

#include <map>
#include <string>

#include "providers/bedrock/bedrock_client.hpp"
#include "providers/model_lifecycle.hpp"

namespace rendermart {

// Model id -> lifecycle. Throws Error: provider_misconfigured when Bedrock refuses the call
// (naming the region and the IAM action to allow), provider_error when it cannot be reached or
// answers something else.
std::map<std::string, Lifecycle> list_bedrock_image_models(const BedrockClient& client);

// "ACTIVE", or "LEGACY" with its end-of-life date: how `providers check` shows a lifecycle.
std::string describe_lifecycle(const Lifecycle& lifecycle);

}  // namespace rendermart
