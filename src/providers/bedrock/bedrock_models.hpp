#pragma once

// The Amazon Bedrock image models RenderMart knows: their capabilities, declared from AWS's
// documentation so that the API refuses a request before it costs money, and the request format
// each one speaks.

#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

enum class BedrockFormat {
  amazon_image,       // Titan Image Generator v2, Nova Canvas (amazon_image_format.hpp)
  stability,          // Stability AI's generation models (stability_format.hpp)
  stability_service,  // Stability AI's image services, one task each (stability_services.hpp)
};

struct BedrockModel {
  ModelInfo info;  // info.id is the Bedrock model id
  BedrockFormat format = BedrockFormat::amazon_image;
  // The model AWS documents as this one's replacement once it reaches its end of life, named in
  // the configuration error; empty: AWS documents none (true of every model here today).
  std::string replacement;
};

// Every model RenderMart can use on Bedrock.
const std::vector<BedrockModel>& known_bedrock_models();
// Nothing for an id RenderMart does not know.
const BedrockModel* find_bedrock_model(const std::string& model_id);
// The models offered when the configuration names none: Stability AI's current generation
// models (its image services are offered when named: each is one editing tool). Titan
// Image Generator v2 and Nova Canvas are Legacy on Bedrock (end of life 2026-06-30 and
// 2026-09-30, docs/cloud-models.md), so they are offered only when named, and only while the
// region's listing puts their end of life in the future.
std::vector<std::string> default_bedrock_model_ids();

}  // namespace rendermart
