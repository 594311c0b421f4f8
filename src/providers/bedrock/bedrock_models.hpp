#pragma once

// The Amazon Bedrock image models RenderMart knows: their capabilities, declared from AWS's
// documentation so that the API refuses a request before it costs money, and the request format
// each one speaks.

#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

enum class BedrockFormat {
  amazon_image,  // Titan Image Generator v2, Nova Canvas (amazon_image_format.hpp)
  stability,     // Stability AI (stability_format.hpp)
};

struct BedrockModel {
  ModelInfo info;  // info.id is the Bedrock model id
  BedrockFormat format = BedrockFormat::amazon_image;
};

// Every model RenderMart can use on Bedrock.
const std::vector<BedrockModel>& known_bedrock_models();
// Nothing for an id RenderMart does not know.
const BedrockModel* find_bedrock_model(const std::string& model_id);
// The models offered when the configuration names none: the current ones. Titan Image Generator
// v2 (the seed system's model family) is legacy on Bedrock, so it is offered only when named.
std::vector<std::string> default_bedrock_model_ids();

}  // namespace rendermart
