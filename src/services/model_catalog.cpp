#include "services/model_catalog.hpp"

#include "core/error.hpp"

namespace rendermart {

void ModelCatalog::add(std::shared_ptr<Provider> provider) {
  for (auto& info : provider->models()) {
    for (const auto& existing : models_) {
      if (existing.id == info.id) {
        throw Error(ErrorCode::internal, "two providers offer the model id '" + info.id + "'");
      }
    }
    models_.push_back(std::move(info));
    providers_.push_back(provider);
  }
}

const ModelInfo& ModelCatalog::model(const std::string& model_id) const {
  for (const auto& info : models_) {
    if (info.id == model_id) return info;
  }
  throw invalid_argument("model", "unknown model '" + model_id + "': GET /api/v1/models lists them");
}

Provider& ModelCatalog::provider_for(const std::string& model_id) const {
  for (std::size_t i = 0; i < models_.size(); ++i) {
    if (models_[i].id == model_id) return *providers_[i];
  }
  throw invalid_argument("model", "unknown model '" + model_id + "': GET /api/v1/models lists them");
}

}  // namespace rendermart
