// The binaries without the local diffusion engine (see local_engine.hpp).

#include "app/local_engine.hpp"

#include <spdlog/spdlog.h>

namespace rendermart {

void prepare_local_engine(char**) {}

void add_local_provider(ModelCatalog&, const Config& config, Metrics*) {
  if (library::list_installed(library::ModelsFolder(config.models_dir), nullptr).empty()) return;
  spdlog::warn(
      "the models folder {} holds models, but this binary has no local diffusion engine "
      "(it was built without libtorch, or it is rendermart-slim): no local models are offered",
      config.models_dir);
}

bool has_local_engine() { return false; }

library::ModelChecker local_model_checker() {
  return [](const std::string&) -> library::ModelCheck {
    return {
        {},
        "this binary has no local diffusion engine (built without libtorch, or rendermart-slim)"};
  };
}

const char* local_engine_description() {
  return "local diffusion engine: none (built without libtorch)";
}

}  // namespace rendermart
