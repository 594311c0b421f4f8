#pragma once

// `rendermart providers check` for Bedrock: whether this server's credentials reach Bedrock in
// the configured region and may invoke each configured model, without generating (or paying for)
// anything.

#include <string>
#include <vector>

#include "providers/bedrock/bedrock_client.hpp"
#include "providers/model_check.hpp"

namespace rendermart {

// Loads the credentials (throws provider_misconfigured without any), lists the region's image
// models (ListFoundationModels, byOutputModality=IMAGE) for their lifecycle, then probes
// each model with an InvokeModel whose body is empty JSON: Bedrock answers ValidationException
// without running the model when access is granted, AccessDeniedException when the model is
// not enabled for the account or the IAM policy forbids it. A model past its end of life is not
// probed; a Legacy one carries a warning.
std::vector<ModelCheck> check_bedrock(const BedrockClient& client,
                                      const std::vector<std::string>& model_ids);

}  // namespace rendermart
