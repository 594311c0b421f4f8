#include "core/model_info.hpp"

#include <algorithm>

namespace rendermart {

bool supports(const ModelInfo& model, GenerationTask task) {
  return std::find(model.tasks.begin(), model.tasks.end(), task) != model.tasks.end();
}

}  // namespace rendermart
