#include "providers/bedrock/bedrock_provider.hpp"

#include <map>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "providers/bedrock/amazon_image_format.hpp"
#include "providers/bedrock/bedrock_listing.hpp"
#include "providers/bedrock/stability_format.hpp"
#include "providers/bedrock/stability_services.hpp"

namespace rendermart {

namespace {

constexpr const char* kSetting = "RENDERMART_BEDROCK_MODELS";

}  // namespace

BedrockProvider::BedrockProvider(std::shared_ptr<BedrockClient> client,
                                 std::vector<std::string> named)
    : client_(std::move(client)), named_(!named.empty()) {
  for (const auto& id : named_ ? named : default_bedrock_model_ids()) {
    const BedrockModel* model = find_bedrock_model(id);
    if (!model) {
      std::string known;
      for (const auto& m : known_bedrock_models()) known += (known.empty() ? "" : ", ") + m.info.id;
      throw invalid_argument("bedrock_models", std::string(kSetting) + " names '" + id +
                                                   "', which RenderMart does not know; it knows " +
                                                   known);
    }
    candidates_.push_back(model);
  }
}

void BedrockProvider::start() { discover(true); }

void BedrockProvider::refresh() { discover(false); }

void BedrockProvider::discover(bool at_start) {
  const std::string& region = client_->options().region;
  std::map<std::string, Lifecycle> listed;
  try {
    listed = list_bedrock_image_models(*client_);
  } catch (const Error& e) {
    std::lock_guard lock(mutex_);
    spdlog::error(
        "cannot list the Bedrock image models of {} ({}); {}; trying again at the next "
        "refresh",
        region, e.what(),
        offered_.empty() ? "no Bedrock model is offered"
                         : "it keeps offering the models it listed last");
    return;
  }
  const std::string today = utc_today();
  std::vector<ModelInfo> offered;
  for (const auto* model : candidates_) {
    const std::string& id = model->info.id;
    const auto found = listed.find(id);
    if (found == listed.end()) {
      spdlog::warn("Bedrock model {} is not offered: {} does not list it", id, region);
      continue;
    }
    const Lifecycle& lifecycle = found->second;
    const Offer offer = offer_for(lifecycle, today);
    if (offer == Offer::never) {
      if (at_start && named_) {
        throw_retired("bedrock_models", kSetting,
                      {id, lifecycle.shutdown_date, model->replacement});
      }
      spdlog::error("Bedrock model {} is not offered: it reached its end of life on {}", id,
                    lifecycle.shutdown_date);
      continue;
    }
    if (offer == Offer::when_named) {
      if (!named_) {
        spdlog::info("Bedrock model {} is not offered: it is Legacy; name it in {} to offer it", id,
                     kSetting);
        continue;
      }
      spdlog::warn("{}", shutdown_warning(id, lifecycle, kSetting));
    }
    ModelInfo info = model->info;
    info.shutdown_date = lifecycle.shutdown_date;
    offered.push_back(std::move(info));
  }
  std::lock_guard lock(mutex_);
  offered_ = std::move(offered);
}

std::vector<ModelInfo> BedrockProvider::models() const {
  std::lock_guard lock(mutex_);
  return offered_;
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
      const auto body = model->format == BedrockFormat::stability
                            ? stability_request(params, inputs, seed)
                            : stability_service_request(params, inputs, seed);
      images.push_back(
          stability_response(client_->invoke_model(params.model, body, &cancel), params.model));
    }
    if (progress) progress({static_cast<double>(i + 1) / params.count, std::nullopt});
  }
  return images;
}

}  // namespace rendermart
