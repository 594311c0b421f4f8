#include "services/generation_request.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "core/lora_tags.hpp"
#include "services/generation_request_settings.hpp"
#include "services/model_catalog.hpp"

namespace rendermart {
namespace {

bool model_has_style(const ModelInfo& model, const std::string& style) {
  return std::find(model.styles.begin(), model.styles.end(), style) != model.styles.end();
}

bool shape_allowed(const ModelInfo& model, int width, int height) {
  if (width <= 0 || height <= 0) return false;
  if (model.max_pixels > 0 &&
      static_cast<std::int64_t>(width) * static_cast<std::int64_t>(height) > model.max_pixels) {
    return false;
  }
  const double ratio = static_cast<double>(std::max(width, height)) / std::min(width, height);
  return model.max_aspect_ratio <= 0 || ratio <= model.max_aspect_ratio;
}

bool side_allowed(const ModelInfo& model, int side) {
  return side >= model.min_side && side <= model.max_side && side % model.size_multiple == 0;
}

bool size_allowed(const ModelInfo& model, int width, int height) {
  if (!model.fixed_sizes.empty()) {
    return std::any_of(model.fixed_sizes.begin(), model.fixed_sizes.end(),
                       [&](const Size& s) { return s.width == width && s.height == height; });
  }
  return side_allowed(model, width) && side_allowed(model, height) &&
         shape_allowed(model, width, height);
}

std::string size_rule(const ModelInfo& model) {
  if (!model.fixed_sizes.empty()) {
    std::string list;
    for (const auto& s : model.fixed_sizes) {
      list += (list.empty() ? "" : ", ") + std::to_string(s.width) + "x" + std::to_string(s.height);
    }
    return "one of " + list;
  }
  std::string rule = "between " + std::to_string(model.min_side) + " and " +
                     std::to_string(model.max_side) + " and a multiple of " +
                     std::to_string(model.size_multiple);
  if (model.max_pixels > 0)
    rule += ", with at most " + std::to_string(model.max_pixels) + " pixels";
  if (model.max_aspect_ratio > 0) {
    rule +=
        fmt::format(" and the longer side at most {} times the shorter", model.max_aspect_ratio);
  }
  return rule;
}

// A task on a source image keeps its size: the source must be the user's image (looked up by
// the caller), and the mask, when the task takes one, must match it.
void apply_source(GenerationParams& params, const GenerationRequest& request,
                  const ModelInfo& model, const RequestImages& images) {
  const std::string task = to_string(params.task);
  if (params.source_image_id.empty()) {
    throw invalid_argument("source_image_id", task + " needs source_image_id: one of your images");
  }
  if (!images.source || images.source->id != params.source_image_id) {
    throw Error(ErrorCode::internal, "the source image was not looked up");
  }
  const Image& source = *images.source;
  const int scale = task_scale(params.task);
  params.width = source.params.width * scale;
  params.height = source.params.height * scale;
  const std::string size = std::to_string(params.width) + "x" + std::to_string(params.height);
  const std::string source_size =
      std::to_string(source.params.width) + "x" + std::to_string(source.params.height);
  if ((request.width && *request.width != params.width) ||
      (request.height && *request.height != params.height)) {
    throw invalid_argument(request.width && *request.width != params.width ? "width" : "height",
                           scale == 1 ? task + " keeps the size of its source image (" + size +
                                            "): leave width and height out"
                                      : task + " makes " + size + " from its " + source_size +
                                            " source: leave width and height out");
  }
  if (!size_allowed(model, params.width, params.height)) {
    throw invalid_argument("source_image_id",
                           "the source image is " + source_size +
                               (scale == 1 ? "" : ", and " + task + " would make it " + size) +
                               ", a size model '" + model.id +
                               "' does not take: width and height must be " + size_rule(model));
  }
  if (!task_uses_mask(params.task)) {
    if (!params.mask_image_id.empty()) {
      throw invalid_argument("mask_image_id", task + " takes no mask");
    }
    return;
  }
  if (params.mask_image_id.empty()) {
    throw invalid_argument("mask_image_id",
                           task +
                               " needs mask_image_id: one of your images, the size of the "
                               "source, white where the picture is to be repainted");
  }
  if (!images.mask || images.mask->id != params.mask_image_id) {
    throw Error(ErrorCode::internal, "the mask image was not looked up");
  }
  if (images.mask->params.width != params.width || images.mask->params.height != params.height) {
    throw invalid_argument("mask_image_id",
                           "the mask is " + std::to_string(images.mask->params.width) + "x" +
                               std::to_string(images.mask->params.height) +
                               " but the source image is " + std::to_string(params.width) + "x" +
                               std::to_string(params.height) + ": they must be the same size");
  }
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

std::uint32_t random_seed() {
  if (sodium_init() < 0) throw Error(ErrorCode::internal, "libsodium failed to initialise");
  return randombytes_random();
}

void validate_loras(const std::vector<LoraUse>& loras, const ModelInfo& model) {
  if (loras.empty()) return;
  if (model.kind != "local") {
    throw invalid_argument("loras", "model '" + model.id +
                                        "' takes no LoRAs: only local models merge them (remove "
                                        "the loras field and the <lora:...> tags of the prompt)");
  }
  if (loras.size() > kMaxLoras) {
    throw invalid_argument(
        "loras", "at most " + std::to_string(kMaxLoras) + " LoRAs apply to one generation");
  }
  for (std::size_t i = 0; i < loras.size(); ++i) {
    const auto& use = loras[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (loras[j].name == use.name) {
        throw invalid_argument(
            "loras", "the LoRA " + use.name + " is named twice (in loras or the prompt's tags)");
      }
    }
    if (!(std::abs(use.weight) <= kMaxLoraWeight)) {
      throw invalid_argument("loras",
                             "the weight of the LoRA " + use.name + " must be between " +
                                 fmt::format("{} and {}", -kMaxLoraWeight, kMaxLoraWeight));
    }
    const bool known = std::any_of(model.loras.begin(), model.loras.end(),
                                   [&](const LoraInfo& lora) { return lora.name == use.name; });
    if (!known) {
      std::string list;
      for (const auto& lora : model.loras) list += (list.empty() ? "" : ", ") + lora.name;
      throw invalid_argument(
          "loras",
          "model '" + model.id + "' has no LoRA named " + use.name + " (a file loras/" + use.name +
              ".safetensors of the models folder, made for the model's family " + model.family +
              ")" + (list.empty() ? "; it has none" : "; its LoRAs: " + list));
    }
  }
}

}  // namespace

std::size_t utf8_length(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

GenerationParams resolve_generation(const GenerationRequest& request, const Preferences& prefs,
                                    const ModelCatalog& catalog, const std::string& default_model,
                                    const RequestImages& images) {
  GenerationParams params;
  params.prompt = request.prompt;
  params.task = request.task.value_or(GenerationTask::text_to_image);
  if (!task_is_requestable(params.task)) {
    throw invalid_argument("task", std::string(to_string(params.task)) +
                                       " is not a generation: upload pictures with POST "
                                       "/api/v1/images");
  }

  // A preference for a model that is no longer offered falls back to the default silently:
  // the user did not ask for it in this request.
  std::string preferred_model = default_model;
  for (const auto& m : catalog.models()) {
    if (!prefs.model.empty() && m.id == prefs.model) preferred_model = prefs.model;
  }
  params.model = request.model.value_or(preferred_model);
  const ModelInfo model = catalog.model(params.model);
  if (!supports(model, params.task)) {
    std::string list;
    for (const auto task : model.tasks)
      list += std::string(list.empty() ? "" : ", ") + to_string(task);
    throw invalid_argument("task", std::string("model '") + model.id + "' cannot do " +
                                       to_string(params.task) + "; its tasks: " + list);
  }

  // Preferences describe new pictures: a task that only edits its source takes none of them.
  const bool uses_prompt = takes_prompt(params.task, model);
  params.negative_prompt = request.negative_prompt.value_or(
      uses_prompt && model.negative_prompt ? prefs.negative_prompt : "");
  params.style =
      request.style.value_or(uses_prompt && model_has_style(model, prefs.style) ? prefs.style : "");
  params.quality = request.quality.value_or(model.qualities.empty() ? "" : model.qualities.front());

  params.steps = request.steps.value_or(model.steps.default_value);
  params.cfg_scale = request.cfg_scale.value_or(model.cfg_scale.default_value);
  params.count = request.count.value_or(1);
  // A random seed leaves room for seed + count - 1 within the model's range.
  const auto seed_span = static_cast<std::uint64_t>(model.max_seed) + 2 -
                         static_cast<std::uint64_t>(std::clamp(params.count, 1, model.max_count));
  params.seed =
      request.seed ? *request.seed : static_cast<std::uint32_t>(random_seed() % seed_span);
  const double default_strength = params.task == GenerationTask::image_to_image ? kDefaultStrength
                                  : task_uses_mask(params.task) ? kDefaultMaskStrength
                                                                : 0;
  params.strength = request.strength.value_or(default_strength);
  params.source_image_id = request.source_image_id.value_or("");
  params.mask_image_id = request.mask_image_id.value_or("");
  // The prompt keeps its <lora:...> tags as written (AUTOMATIC1111 keeps them in its infotext);
  // the LoRAs they name join the request's own, each with the model's hash of its file.
  params.loras = request.loras;
  for (auto& use : extract_lora_tags(params.prompt).loras) params.loras.push_back(std::move(use));
  for (auto& use : params.loras) {
    const auto known = std::find_if(model.loras.begin(), model.loras.end(),
                                    [&](const LoraInfo& lora) { return lora.name == use.name; });
    use.hash = known == model.loras.end() ? "" : known->hash;
  }

  if (task_uses_source(params.task)) {
    apply_source(params, request, model, images);
  } else {
    const bool prefs_size_ok =
        prefs.width > 0 && prefs.height > 0 && size_allowed(model, prefs.width, prefs.height);
    const Size fallback = prefs_size_ok ? Size{prefs.width, prefs.height} : model.default_size;
    params.width = request.width.value_or(fallback.width);
    params.height = request.height.value_or(fallback.height);
  }
  resolve_task_settings(params, request, model, images);

  validate_generation(params, model);
  return params;
}

void validate_generation(const GenerationParams& params, const ModelInfo& model) {
  const std::string task = to_string(params.task);
  if (!supports(model, params.task)) {
    throw invalid_argument("task", "model '" + model.id + "' cannot do " + task);
  }
  if (!takes_prompt(params.task, model)) {
    if (!params.prompt.empty() || !params.negative_prompt.empty() || !params.style.empty()) {
      const char* field = !params.prompt.empty()            ? "prompt"
                          : !params.negative_prompt.empty() ? "negative_prompt"
                                                            : "style";
      throw invalid_argument(field, task + " takes no prompt, negative prompt or style");
    }
    if (params.count != 1) throw invalid_argument("count", task + " makes one image");
  } else if (params.prompt.empty() && prompt_optional(params.task)) {
    // A variation or a style transfer: the pictures say what to make (OpenAI's
    // /v1/images/variations has no prompt at all).
  } else if (is_blank(params.prompt)) {
    throw invalid_argument("prompt", "prompt must not be empty");
  }
  if (task_uses_source(params.task) != !params.source_image_id.empty()) {
    throw invalid_argument("source_image_id", params.source_image_id.empty()
                                                  ? task + " needs source_image_id"
                                                  : task + " takes no source image");
  }
  if (task_uses_mask(params.task) != !params.mask_image_id.empty()) {
    throw invalid_argument("mask_image_id", params.mask_image_id.empty()
                                                ? task + " needs mask_image_id"
                                                : task + " takes no mask");
  }
  if (params.task != GenerationTask::image_to_image && !task_uses_mask(params.task) &&
      params.strength != 0) {
    throw invalid_argument("strength", "strength applies to image_to_image, inpaint and outpaint");
  }
  if (!(params.strength >= 0 && params.strength <= 1)) {
    throw invalid_argument("strength", "strength must be between 0 and 1");
  }
  validate_loras(params.loras, model);
  if (!params.quality.empty() && std::find(model.qualities.begin(), model.qualities.end(),
                                           params.quality) == model.qualities.end()) {
    std::string list;
    for (const auto& q : model.qualities) list += (list.empty() ? "" : ", ") + q;
    throw invalid_argument("quality", "model '" + model.id + "' has no quality '" + params.quality +
                                          "'" + (list.empty() ? "" : "; qualities: " + list));
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
    throw invalid_argument("style", "model '" + model.id + "' has no style '" + params.style + "'" +
                                        (list.empty() ? "" : "; styles: " + list));
  }
  if (!size_allowed(model, params.width, params.height)) {
    // The height is at fault when only it breaks a rule of its own; a rule on both sides
    // together (a fixed list, pixels, aspect ratio) is reported on the width.
    const bool height_alone = model.fixed_sizes.empty() && side_allowed(model, params.width) &&
                              !side_allowed(model, params.height);
    throw invalid_argument(height_alone ? "height" : "width",
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
  // Image i uses seed + i: the last one must be a seed the model takes too. The built-in
  // generator takes every 32-bit seed and lets the sequence wrap around.
  const std::uint64_t last_seed =
      static_cast<std::uint64_t>(params.seed) + static_cast<std::uint64_t>(params.count) - 1;
  if (params.seed > model.max_seed || (model.max_seed < UINT32_MAX && last_seed > model.max_seed)) {
    throw invalid_argument(
        "seed", "seed must be at most " + std::to_string(model.max_seed - (params.count - 1)) +
                    " for " + std::to_string(params.count) + " images (image i uses seed + i)");
  }
  validate_task_settings(params, model);
}

}  // namespace rendermart
