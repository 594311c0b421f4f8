#pragma once

// A generation request as the API receives it, and the rules that turn it into complete,
// valid GenerationParams: request fields first, then the user's preferences, then the model's
// defaults; then validation against the model's capabilities.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "providers/provider.hpp"

namespace rendermart {

class ModelCatalog;

struct GenerationRequest {
  std::string prompt;
  std::optional<std::string> negative_prompt;
  std::optional<std::string> model;
  std::optional<std::string> style;
  std::optional<std::string> background;
  std::optional<std::string> moderation;
  std::optional<std::string> search_prompt;
  std::optional<std::string> style_image_id;
  std::optional<double> creativity;
  std::optional<double> control_strength;
  std::optional<std::string> style_preset;
  std::optional<int> grow_mask;
  std::optional<double> composition_fidelity;
  std::optional<double> change_strength;
  std::optional<int> width;
  std::optional<int> height;
  std::optional<int> steps;
  std::optional<double> cfg_scale;
  std::optional<std::uint32_t> seed;
  std::optional<int> count;
  std::optional<std::string> quality;
  std::optional<GenerationTask> task;
  std::optional<std::string> source_image_id;
  std::optional<std::string> mask_image_id;
  std::optional<double> strength;
  std::optional<int> mask_blur;
  std::vector<LoraUse> loras;  // besides the <lora:name:weight> tags of the prompt
};

// At most this many LoRAs in one generation, each weighted within +-kMaxLoraWeight.
inline constexpr std::size_t kMaxLoras = 8;
inline constexpr double kMaxLoraWeight = 4;

// image_to_image without a strength: halfway between the source and a new picture.
inline constexpr double kDefaultStrength = 0.5;
// inpaint and outpaint without a strength: the repainted area is made anew (diffusers' default).
inline constexpr double kDefaultMaskStrength = 1;

// The user's own images that a request names (source_image_id, mask_image_id), looked up by the
// caller, which answers not_found for an image that is not the user's.
struct RequestImages {
  std::optional<Image> source;
  std::optional<Image> mask;
  std::optional<Image> style;
};

// Fills every field (a random seed when none is given) and validates. Throws
// Error(invalid_argument) naming the field. `images` must hold the images the request names.
GenerationParams resolve_generation(const GenerationRequest& request, const Preferences& prefs,
                                    const ModelCatalog& catalog, const std::string& default_model,
                                    const RequestImages& images = {});

// Throws Error(invalid_argument) naming the first field the model does not accept.
void validate_generation(const GenerationParams& params, const ModelInfo& model);

// Unicode code points in valid UTF-8.
std::size_t utf8_length(const std::string& text);

}  // namespace rendermart
