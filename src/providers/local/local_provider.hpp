#pragma once

// The `local` provider: Stable Diffusion models from a folder of diffusers layouts, run in this
// process by the diffusion engine (src/diffusion, libtorch). Models are discovered at start-up
// and again on refresh() (configs and weight headers checked, nothing loaded), loaded on first
// use and kept warm until their files are removed or replaced, or until the memory budget needs
// their room for another model (the least recently used goes first). Generations run one at a
// time: they use every core the engine is given.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "diffusion/engine.hpp"
#include "diffusion/model_folder.hpp"
#include "providers/local/lora_files.hpp"
#include "providers/provider.hpp"

namespace rendermart {

struct LocalProviderOptions {
  std::string models_dir;
  std::string dtype =
      "auto";       // auto (bfloat16 where the CPU computes it natively) | float32 | bfloat16
  int threads = 0;  // 0: one per core
  std::string decoder = "vae";  // vae | taesd (when the model has TAESD weights)
  std::string cpu_isa =
      "auto";  // auto | a cap on the instruction set (diffusion::configure_runtime)
  // The weights of loaded models together stay within this (activations come on top). A model
  // larger than the budget alone is still loaded, alone.
  std::uint64_t memory_budget_bytes = UINT64_MAX;
};

// The model's family as GET /api/v1/models names it: sd1, sd2 or sdxl.
std::string local_model_family(const diffusion::ModelFolder& folder);

class LocalProvider : public Provider {
 public:
  // Scans the folder; unusable models are skipped with a warning naming the problem. Throws
  // Error(invalid_argument) for a bad option.
  explicit LocalProvider(LocalProviderOptions options);

  std::vector<ModelInfo> models() const override;
  // Scans the folder again: new models are offered, removed ones no longer (a loaded one is let
  // go once no generation uses it).
  void refresh() override;
  std::optional<std::vector<std::string>> models_in_memory() const override;
  // Loads the model on first use (Error(model_error) when its files are broken; progress says
  // JobStage::loading_model meanwhile), unloading the least recently used others as the memory
  // budget requires, then makes params.count images, image i from seed params.seed + i; a
  // preview with every step. image_to_image starts from inputs.image, keeping (1 - strength) of
  // it.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;

  struct LoadedModel {
    std::string id;
    std::size_t weight_bytes = 0;
  };
  // Least recently used first.
  std::vector<LoadedModel> loaded_models() const;
  const std::string& runtime_description() const { return runtime_; }
  bool bfloat16() const { return bfloat16_; }

 private:
  const diffusion::DiffusionModel& load(const diffusion::ModelFolder& folder,
                                        const ProgressFn& progress);
  // Unloads the models whose files are gone or were replaced since they were loaded. Needs mutex_.
  void unload_stale();
  // Unloads the least recently used models until `bytes` more fit the budget. Needs mutex_.
  void make_room(const std::string& id, std::size_t bytes);

  LocalProviderOptions options_;
  bool bfloat16_ = false;
  std::string runtime_;
  mutable std::mutex folders_mutex_;  // guards folders_ and loras_
  std::vector<diffusion::ModelFolder> folders_;
  std::vector<LoraFile> loras_;  // <models_dir>/loras
  std::mutex mutex_;  // one generation at a time; only its holder loads and unloads models
  struct Loaded {
    std::string identity;  // of the files it was loaded from (model_identity)
    std::unique_ptr<diffusion::DiffusionModel> model;
    std::uint64_t last_used = 0;  // use_count_ when a generation last used it
  };
  // Changed by mutex_'s holder under loaded_mutex_, so that models() and loaded_models() read it
  // while a generation runs.
  mutable std::mutex loaded_mutex_;
  std::map<std::string, Loaded> loaded_;
  std::uint64_t use_count_ = 0;
};

}  // namespace rendermart
