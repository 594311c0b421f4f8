#pragma once

// Amazon Bedrock as a Provider: the image models of one region, invoked with InvokeModel. Each
// image is its own call with its own seed (params.seed + i), so that every stored image can be
// made again from its recorded parameters.
//
// What is offered is decided at start and at every refresh() from ListFoundationModels
// (bedrock_listing.hpp): of the configured models (or the current defaults), those the region
// lists, under the lifecycle rule (model_lifecycle.hpp): a model past its end of life never, a
// Legacy one only when the configuration names it.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/bedrock/bedrock_client.hpp"
#include "providers/bedrock/bedrock_models.hpp"
#include "providers/provider.hpp"

namespace rendermart {

class BedrockProvider : public Provider {
 public:
  // `named`: the ids RENDERMART_BEDROCK_MODELS names; empty: default_bedrock_model_ids(). Throws
  // Error(invalid_argument, field "bedrock_models") for a model id RenderMart does not know.
  // Offers nothing until start() or refresh(); makes no request.
  BedrockProvider(std::shared_ptr<BedrockClient> client, std::vector<std::string> named);

  std::vector<ModelInfo> models() const override;
  // The first refresh(), at start-up; a named model past its end of life is a configuration
  // error (Error(invalid_argument, field "bedrock_models")).
  void start();
  // Lists the region's image models and offers what the lifecycle rule allows. Never throws: a
  // listing that fails keeps what was offered before (nothing at start) and logs why.
  void refresh() override;
  // Progress advances once per image; cancellation is checked between images.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;

 private:
  void discover(bool at_start);

  std::shared_ptr<BedrockClient> client_;
  std::vector<const BedrockModel*> candidates_;
  bool named_ = false;
  mutable std::mutex mutex_;  // guards offered_
  std::vector<ModelInfo> offered_;
};

}  // namespace rendermart
