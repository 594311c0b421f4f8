#include "services/generation_request_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace rendermart {
namespace {

bool uses_creativity(GenerationTask task) {
  return task == GenerationTask::upscale || task == GenerationTask::outpaint;
}

bool uses_control_strength(GenerationTask task) {
  return task == GenerationTask::sketch || task == GenerationTask::structure ||
         task == GenerationTask::style_guide || task == GenerationTask::style_transfer;
}

bool uses_search_prompt(GenerationTask task) {
  return task == GenerationTask::search_replace || task == GenerationTask::search_recolor;
}

// The tasks of Stability AI's services that grow (and blur) their mask: the masked ones and those
// that find what to change by a search prompt.
bool uses_grow_mask(GenerationTask task) {
  return task == GenerationTask::inpaint || task == GenerationTask::erase ||
         uses_search_prompt(task);
}

// The tasks that lay their result over the source through the mask, blurred by mask_blur.
bool uses_mask_blur(GenerationTask task) {
  return task == GenerationTask::inpaint || task == GenerationTask::outpaint;
}

std::string joined(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& value : values) list += (list.empty() ? "" : ", ") + value;
  return list;
}

// One of the model's choices, or none when the model offers none.
void check_choice(const char* field, const std::string& value,
                  const std::vector<std::string>& choices, const ModelInfo& model) {
  if (value.empty()) return;
  if (choices.empty()) {
    throw invalid_argument(field, "model '" + model.id + "' takes no " + field + ": leave it out");
  }
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    throw invalid_argument(field, "model '" + model.id + "' has no " + field + " '" + value +
                                      "'; it takes " + joined(choices));
  }
}

// A setting in the model's range where the task takes it and the model declares it; 0 elsewhere.
template <typename Value, typename Range>
void check_range(const char* field, Value value, const Range& range, bool task_uses,
                 GenerationTask task, const ModelInfo& model) {
  if (!task_uses || range.max == 0) {
    if (value != 0) {
      throw invalid_argument(field, std::string(field) + " does not apply to " + to_string(task) +
                                        " with model '" + model.id + "'");
    }
    return;
  }
  if (!(value >= range.min && value <= range.max)) {
    throw invalid_argument(field, fmt::format("{} must be between {} and {} for model '{}'", field,
                                              range.min, range.max, model.id));
  }
}

// The request's value, or the model's default where the task takes the setting and the model
// declares it; 0 elsewhere.
template <typename Value, typename Range>
Value setting(const std::optional<Value>& asked, const Range& range, bool task_uses) {
  return asked.value_or(task_uses && range.max > 0 ? range.default_value : Value{});
}

}  // namespace

bool takes_prompt(GenerationTask task, const ModelInfo& model) {
  return task_uses_prompt(task) || (task == GenerationTask::upscale && model.creativity.max > 0);
}

bool prompt_optional(GenerationTask task) {
  return task == GenerationTask::image_to_image || task == GenerationTask::style_transfer;
}

void resolve_task_settings(GenerationParams& params, const GenerationRequest& request,
                           const ModelInfo& model, const RequestImages& images) {
  params.background =
      request.background.value_or(model.backgrounds.empty() ? "" : model.backgrounds.front());
  params.moderation =
      request.moderation.value_or(model.moderations.empty() ? "" : model.moderations.front());
  params.search_prompt = request.search_prompt.value_or("");
  params.style_image_id = request.style_image_id.value_or("");
  if (!params.style_image_id.empty() &&
      (!images.style || images.style->id != params.style_image_id)) {
    throw Error(ErrorCode::internal, "the style image was not looked up");
  }
  const GenerationTask task = params.task;
  params.creativity = setting(request.creativity, model.creativity, uses_creativity(task));
  params.control_strength =
      setting(request.control_strength, model.control_strength, uses_control_strength(task));
  params.style_preset = request.style_preset.value_or("");
  params.grow_mask = setting(request.grow_mask, model.grow_mask, uses_grow_mask(task));
  const bool transfer = task == GenerationTask::style_transfer;
  params.composition_fidelity =
      setting(request.composition_fidelity, model.composition_fidelity, transfer);
  params.change_strength = setting(request.change_strength, model.change_strength, transfer);
  params.mask_blur = setting(request.mask_blur, model.mask_blur, uses_mask_blur(task));
}

void validate_task_settings(const GenerationParams& params, const ModelInfo& model) {
  const std::string task = to_string(params.task);
  check_choice("background", params.background, model.backgrounds, model);
  check_choice("moderation", params.moderation, model.moderations, model);
  if (uses_search_prompt(params.task)) {
    const bool blank =
        std::all_of(params.search_prompt.begin(), params.search_prompt.end(),
                    [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
    if (blank) {
      throw invalid_argument(
          "search_prompt",
          task + " needs search_prompt: a few words naming what to " +
              (params.task == GenerationTask::search_replace ? "replace" : "recolor"));
    }
    if (utf8_length(params.search_prompt) > static_cast<std::size_t>(model.max_prompt_length)) {
      throw invalid_argument("search_prompt", "search_prompt is longer than the " +
                                                  std::to_string(model.max_prompt_length) +
                                                  " characters that model '" + model.id +
                                                  "' accepts");
    }
  } else if (!params.search_prompt.empty()) {
    throw invalid_argument("search_prompt",
                           "search_prompt applies to search_replace and search_recolor only");
  }
  if (params.task == GenerationTask::style_transfer) {
    if (params.style_image_id.empty()) {
      throw invalid_argument("style_image_id",
                             "style_transfer needs style_image_id: one of your images, whose "
                             "style is applied to the source image");
    }
  } else if (!params.style_image_id.empty()) {
    throw invalid_argument("style_image_id", "style_image_id applies to style_transfer only");
  }
  check_range("creativity", params.creativity, model.creativity, uses_creativity(params.task),
              params.task, model);
  check_range("control_strength", params.control_strength, model.control_strength,
              uses_control_strength(params.task), params.task, model);
  check_choice("style_preset", params.style_preset, model.style_presets, model);
  check_range("grow_mask", params.grow_mask, model.grow_mask, uses_grow_mask(params.task),
              params.task, model);
  const bool transfer = params.task == GenerationTask::style_transfer;
  check_range("composition_fidelity", params.composition_fidelity, model.composition_fidelity,
              transfer, params.task, model);
  check_range("change_strength", params.change_strength, model.change_strength, transfer,
              params.task, model);
  // Stability's services grow and blur the mask themselves; nothing is laid over their result.
  if (params.mask_blur != 0 && model.mask_blur.max == 0 && model.grow_mask.max > 0) {
    throw invalid_argument("mask_blur",
                           fmt::format("model '{}' takes no mask_blur: it grows and "
                                       "blurs the mask's edge itself by grow_mask "
                                       "({} to {} pixels)",
                                       model.id, model.grow_mask.min, model.grow_mask.max));
  }
  check_range("mask_blur", params.mask_blur, model.mask_blur, uses_mask_blur(params.task),
              params.task, model);
}

}  // namespace rendermart
