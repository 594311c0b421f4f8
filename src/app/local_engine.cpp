// The binary with the local diffusion engine (see local_engine.hpp).

#include "app/local_engine.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/memory_budget.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/runtime.hpp"
#include "providers/local/local_provider.hpp"

namespace rendermart {

void prepare_local_engine(char** argv) { diffusion::restart_with_huge_pages(argv); }

void add_local_provider(ModelCatalog& catalog, const Config& config, Metrics* metrics) {
  // A fresh installation starts with an empty models folder, which `rendermart models pull` fills.
  std::error_code ec;
  std::filesystem::create_directories(config.models_dir, ec);
  if (ec) {
    spdlog::warn("no local models: cannot create the models folder {}: {}", config.models_dir,
                 ec.message());
    return;
  }
  const auto budget = parse_memory_budget(config.diffusion_memory_budget)
                          .value_or(MemoryBudget{})
                          .resolve(usable_memory_bytes());
  auto provider = std::make_shared<LocalProvider>(
      LocalProviderOptions{config.models_dir, config.diffusion_dtype, config.diffusion_threads,
                           config.diffusion_decoder, config.cpu_isa, budget});
  catalog.add(provider);
  if (!metrics) return;
  metrics->describe("rendermart_diffusion_memory_bytes", "gauge",
                    "Memory of the local diffusion engine: process resident set (and its peak), "
                    "large tensor blocks in use (activations and converted weights; and their "
                    "peak) and kept for reuse");
  metrics->describe("rendermart_diffusion_model_weight_bytes", "gauge",
                    "Weights in memory of each loaded local model");
  metrics->add_collector([provider](Metrics& m) {
    const auto usage = diffusion::memory_usage();
    const auto set = [&](const char* kind, std::size_t bytes) {
      m.set("rendermart_diffusion_memory_bytes", {{"kind", kind}}, static_cast<double>(bytes));
    };
    set("resident", usage.resident_bytes);
    set("peak_resident", usage.peak_resident_bytes);
    set("tensors", usage.tensor_bytes);
    set("peak_tensors", usage.peak_tensor_bytes);
    set("cached", usage.cached_bytes);
    for (const auto& model : provider->loaded_models()) {
      m.set("rendermart_diffusion_model_weight_bytes", {{"model", model.id}},
            static_cast<double>(model.weight_bytes));
    }
  });
}

bool has_local_engine() { return true; }

library::ModelChecker local_model_checker() {
  return [](const std::string& path) -> library::ModelCheck {
    try {
      return {local_model_family(diffusion::read_model(path)), {}};
    } catch (const std::exception& e) {
      return {{}, e.what()};
    }
  };
}

const char* local_engine_description() { return "local diffusion engine: libtorch"; }

}  // namespace rendermart
