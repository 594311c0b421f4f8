#pragma once

// Amazon Bedrock as a Provider: the configured image models of one region, invoked with
// InvokeModel. Each image is its own call with its own seed (params.seed + i), so that every
// stored image can be made again from its recorded parameters.

#include <memory>
#include <string>
#include <vector>

#include "providers/bedrock/bedrock_client.hpp"
#include "providers/bedrock/bedrock_models.hpp"
#include "providers/provider.hpp"

namespace rendermart {

class BedrockProvider : public Provider {
 public:
  // Throws Error(invalid_argument, field "bedrock_models") for a model id RenderMart does not
  // know.
  BedrockProvider(std::shared_ptr<BedrockClient> client, const std::vector<std::string>& model_ids);

  std::vector<ModelInfo> models() const override;
  // Progress advances once per image; cancellation is checked between images.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;

 private:
  std::shared_ptr<BedrockClient> client_;
  std::vector<const BedrockModel*> models_;
};

}  // namespace rendermart
