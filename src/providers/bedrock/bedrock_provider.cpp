#include "providers/bedrock/bedrock_provider.hpp"

#include "core/error.hpp"
#include "providers/bedrock/amazon_image_format.hpp"
#include "providers/bedrock/stability_format.hpp"

namespace rendermart {

BedrockProvider::BedrockProvider(std::shared_ptr<BedrockClient> client,
                                 const std::vector<std::string>& model_ids)
    : client_(std::move(client)) {
  for (const auto& id : model_ids) {
    const BedrockModel* model = find_bedrock_model(id);
    if (!model) {
      std::string known;
      for (const auto& m : known_bedrock_models()) known += (known.empty() ? "" : ", ") + m.info.id;
      throw invalid_argument("bedrock_models", "RENDERMART_BEDROCK_MODELS names '" + id +
                                                   "', which RenderMart does not know; it knows " +
                                                   known);
    }
    models_.push_back(model);
  }
}

std::vector<ModelInfo> BedrockProvider::models() const {
  std::vector<ModelInfo> out;
  for (const auto* model : models_) out.push_back(model->info);
  return out;
}

std::vector<RawImage> BedrockProvider::generate(const GenerationParams& params,
                                                const GenerationInputs& inputs,
                                                const ProgressFn& progress,
                                                const CancelFlag& cancel) {
  const BedrockModel* model = find_bedrock_model(params.model);
  if (!model) throw invalid_argument("model", "unknown Bedrock model '" + params.model + "'");
  std::vector<RawImage> images;
  for (int i = 0; i < params.count; ++i) {
    if (cancel) throw Error(ErrorCode::canceled, "generation canceled");
    const auto seed = params.seed + static_cast<std::uint32_t>(i);
    if (model->format == BedrockFormat::amazon_image) {
      const auto body = amazon_image_request(params, inputs, seed, !model->info.styles.empty());
      images.push_back(
          amazon_image_response(client_->invoke_model(params.model, body, &cancel), params.model));
    } else {
      const auto body = stability_request(params, inputs, seed);
      images.push_back(stability_response(client_->invoke_model(params.model, body, &cancel), params.model));
    }
    if (progress) progress({static_cast<double>(i + 1) / params.count, std::nullopt});
  }
  return images;
}

}  // namespace rendermart
