#pragma once

// The settings that only some models take (ModelInfo declares them): OpenAI's background and
// moderation, the fields of Stability AI's image services (search_prompt, style_image_id,
// creativity, control_strength, style_preset, grow_mask, composition_fidelity, change_strength)
// and the mask_blur of the models that lay their result over the source. Filled and checked here,
// in one place, for every task.

#include "core/domain.hpp"
#include "core/model_info.hpp"
#include "services/generation_request.hpp"

namespace rendermart {

// Fills the settings from the request, or the model's defaults where the task takes them.
void resolve_task_settings(GenerationParams& params, const GenerationRequest& request,
                           const ModelInfo& model, const RequestImages& images);

// Throws Error(invalid_argument) naming the first setting the task or model does not take, a
// value out of the model's range, or one the task needs and lacks.
void validate_task_settings(const GenerationParams& params, const ModelInfo& model);

// Whether the task takes a prompt with this model: the tasks that describe a new picture, and
// upscale on a model that re-imagines details (one with a creativity range).
bool takes_prompt(GenerationTask task, const ModelInfo& model);

// Tasks that may go without a prompt although they take one: a variation (image_to_image) and
// style_transfer, where the pictures say what to make.
bool prompt_optional(GenerationTask task);

}  // namespace rendermart
