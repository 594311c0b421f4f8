#pragma once

// `rendermart models pull|add|list|remove`: the model library from the command line, on the
// models folder of the configuration (RENDERMART_MODELS_DIR, default <data-dir>/models), which a
// running server picks up without a restart.

#include <string>

#include "app/config.hpp"

namespace rendermart {

struct ModelsPullOptions {
  std::string source;  // OWNER/NAME[@REVISION] or an https URL
  std::string name;    // empty: the source's
  std::string variant = "auto";
  bool lora = false;  // a LoRA of a repository of LoRAs, into the models folder's loras/
  std::string file;   // which of its .safetensors files (empty: its only one)
};

// Each returns the process exit code.
int run_models_pull(const Config& config, const ModelsPullOptions& options);
int run_models_add(const Config& config, const std::string& path, const std::string& name);
int run_models_list(const Config& config);
int run_models_remove(const Config& config, const std::string& name);

}  // namespace rendermart
