#include "services/generation_request.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "services/model_catalog.hpp"

namespace rendermart {
namespace {

bool model_has_style(const ModelInfo& model, const std::string& style) {
  return std::find(model.styles.begin(), model.styles.end(), style) != model.styles.end();
}

bool size_allowed(const ModelInfo& model, int width, int height) {
  if (!model.fixed_sizes.empty()) {
    return std::any_of(model.fixed_sizes.begin(), model.fixed_sizes.end(),
                       [&](const Size& s) { return s.width == width && s.height == height; });
  }
  const auto side_ok = [&](int side) {
    return side >= model.min_side && side <= model.max_side && side % model.size_multiple == 0;
  };
  return side_ok(width) && side_ok(height);
}

std::string size_rule(const ModelInfo& model) {
  if (!model.fixed_sizes.empty()) {
    std::string list;
    for (const auto& s : model.fixed_sizes) {
      list += (list.empty() ? "" : ", ") + std::to_string(s.width) + "x" + std::to_string(s.height);
    }
    return "one of " + list;
  }
  return "between " + std::to_string(model.min_side) + " and " + std::to_string(model.max_side) +
         " and a multiple of " + std::to_string(model.size_multiple);
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

std::uint32_t random_seed() {
  if (sodium_init() < 0) throw Error(ErrorCode::internal, "libsodium failed to initialise");
  return randombytes_random();
}

}  // namespace

std::size_t utf8_length(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

GenerationParams resolve_generation(const GenerationRequest& request, const Preferences& prefs,
                                    const ModelCatalog& catalog, const std::string& default_model) {
  GenerationParams params;
  params.prompt = request.prompt;

  // A preference for a model that is no longer offered falls back to the default silently:
  // the user did not ask for it in this request.
  std::string preferred_model = default_model;
  for (const auto& m : catalog.models()) {
    if (!prefs.model.empty() && m.id == prefs.model) preferred_model = prefs.model;
  }
  params.model = request.model.value_or(preferred_model);
  const ModelInfo& model = catalog.model(params.model);

  params.negative_prompt =
      request.negative_prompt.value_or(model.negative_prompt ? prefs.negative_prompt : "");
  params.style = request.style.value_or(model_has_style(model, prefs.style) ? prefs.style : "");

  const bool prefs_size_ok =
      prefs.width > 0 && prefs.height > 0 && size_allowed(model, prefs.width, prefs.height);
  const Size fallback = prefs_size_ok ? Size{prefs.width, prefs.height} : model.default_size;
  params.width = request.width.value_or(fallback.width);
  params.height = request.height.value_or(fallback.height);

  params.steps = request.steps.value_or(model.steps.default_value);
  params.cfg_scale = request.cfg_scale.value_or(model.cfg_scale.default_value);
  params.count = request.count.value_or(1);
  params.seed = request.seed ? *request.seed : random_seed();

  validate_generation(params, model);
  return params;
}

void validate_generation(const GenerationParams& params, const ModelInfo& model) {
  if (params.prompt.empty() || is_blank(params.prompt)) {
    throw invalid_argument("prompt", "prompt must not be empty");
  }
  if (utf8_length(params.prompt) > static_cast<std::size_t>(model.max_prompt_length)) {
    throw invalid_argument("prompt", "prompt is longer than the " +
                                         std::to_string(model.max_prompt_length) +
                                         " characters that model '" + model.id + "' accepts");
  }
  if (!params.negative_prompt.empty()) {
    if (!model.negative_prompt) {
      throw invalid_argument("negative_prompt",
                             "model '" + model.id + "' does not take a negative prompt");
    }
    if (utf8_length(params.negative_prompt) > static_cast<std::size_t>(model.max_prompt_length)) {
      throw invalid_argument("negative_prompt", "negative prompt is longer than " +
                                                    std::to_string(model.max_prompt_length) +
                                                    " characters");
    }
  }
  if (!params.style.empty() && !model_has_style(model, params.style)) {
    std::string list;
    for (const auto& s : model.styles) list += (list.empty() ? "" : ", ") + s;
    throw invalid_argument("style", "model '" + model.id + "' has no style '" + params.style +
                                        "'" + (list.empty() ? "" : "; styles: " + list));
  }
  if (!size_allowed(model, params.width, params.height)) {
    const bool width_ok = model.fixed_sizes.empty()
                              ? size_allowed(model, params.width, model.default_size.height)
                              : false;
    throw invalid_argument(width_ok ? "height" : "width",
                           "size " + std::to_string(params.width) + "x" +
                               std::to_string(params.height) + " is not allowed for model '" +
                               model.id + "': width and height must be " + size_rule(model));
  }
  if (model.steps.max == 0 && params.steps != 0) {
    throw invalid_argument("steps", "model '" + model.id + "' takes no steps parameter");
  }
  if (model.cfg_scale.max == 0 && params.cfg_scale != 0) {
    throw invalid_argument("cfg_scale", "model '" + model.id + "' takes no cfg_scale parameter");
  }
  if (model.steps.max > 0 && (params.steps < model.steps.min || params.steps > model.steps.max)) {
    throw invalid_argument("steps", "steps must be between " + std::to_string(model.steps.min) +
                                        " and " + std::to_string(model.steps.max));
  }
  if (model.cfg_scale.max > 0 &&
      (!(params.cfg_scale >= model.cfg_scale.min) || !(params.cfg_scale <= model.cfg_scale.max))) {
    throw invalid_argument("cfg_scale", fmt::format("cfg_scale must be between {} and {}",
                                                    model.cfg_scale.min, model.cfg_scale.max));
  }
  if (params.count < 1 || params.count > model.max_count) {
    throw invalid_argument("count", "count must be between 1 and " +
                                        std::to_string(model.max_count) + " for model '" +
                                        model.id + "'");
  }
  if (params.seed > model.max_seed) {
    throw invalid_argument("seed", "seed must be at most " + std::to_string(model.max_seed));
  }
}

}  // namespace rendermart
