#pragma once

// AUTOMATIC1111's syntax for LoRAs in a prompt: <lora:name> or <lora:name:weight>
// (modules/extra_networks.py, re_extra_net = <(\w+):([^>]+)>; the weight defaults to 1). Other
// networks' tags (<hypernet:...>) are not ours and stay in the text.

#include <string>
#include <vector>

#include "core/domain.hpp"

namespace rendermart {

struct PromptLoras {
  std::string prompt;          // the prompt without its LoRA tags, as the text encoder reads it
  std::vector<LoraUse> loras;  // in the order they appear
};

// Throws Error(invalid_argument, field "prompt") for a tag whose weight is not a number, or with
// separate text-encoder and UNet weights (which the engine does not apply).
PromptLoras extract_lora_tags(const std::string& prompt);

}  // namespace rendermart
