// The binaries without the local diffusion engine (see local_engine.hpp).

#include "app/local_engine.hpp"

#include <spdlog/spdlog.h>

namespace rendermart {

void prepare_local_engine(char**) {}

void add_local_provider(ModelCatalog&, const Config& config, Metrics*) {
  if (config.models_dir.empty()) return;
  spdlog::warn("RENDERMART_MODELS_DIR is set, but this binary has no local diffusion engine (it "
               "was built without libtorch, or it is rendermart-slim): no local models are offered");
}

const char* local_engine_description() {
  return "local diffusion engine: none (built without libtorch)";
}

}  // namespace rendermart
