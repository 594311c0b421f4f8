#pragma once

// A generation request as the API receives it, and the rules that turn it into complete,
// valid GenerationParams: request fields first, then the user's preferences, then the model's
// defaults; then validation against the model's capabilities.

#include <cstdint>
#include <optional>
#include <string>

#include "core/domain.hpp"
#include "providers/provider.hpp"

namespace rendermart {

class ModelCatalog;

struct GenerationRequest {
  std::string prompt;
  std::optional<std::string> negative_prompt;
  std::optional<std::string> model;
  std::optional<std::string> style;
  std::optional<int> width;
  std::optional<int> height;
  std::optional<int> steps;
  std::optional<double> cfg_scale;
  std::optional<std::uint32_t> seed;
  std::optional<int> count;
};

// Fills every field (a random seed when none is given) and validates. Throws
// Error(invalid_argument) naming the field.
GenerationParams resolve_generation(const GenerationRequest& request, const Preferences& prefs,
                                    const ModelCatalog& catalog, const std::string& default_model);

// Throws Error(invalid_argument) naming the first field the model does not accept.
void validate_generation(const GenerationParams& params, const ModelInfo& model);

// Unicode code points in valid UTF-8.
std::size_t utf8_length(const std::string& text);

}  // namespace rendermart
