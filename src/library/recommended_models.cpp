#include "library/recommended_models.hpp"

namespace rendermart::library {
namespace {

// Sources of these facts: docs/models.md ("Recommended models").
constexpr RecommendedModel kRecommended[] = {
    {"stabilityai/sd-turbo", "sd-turbo",
     "SD-Turbo by Stability AI: Stable Diffusion 2.1 distilled to make a 512x512 image in 1 to 4 "
     "steps, the fastest good model on a CPU",
     "Stability AI Non-Commercial Research Community License (commercial use: "
     "https://stability.ai/license)",
     2'581'000'000},
};

}  // namespace

std::span<const RecommendedModel> recommended_models() { return kRecommended; }

const RecommendedModel* recommended_model(std::string_view repo_id) {
  for (const auto& model : kRecommended) {
    if (model.source == repo_id) return &model;
  }
  return nullptr;
}

}  // namespace rendermart::library
