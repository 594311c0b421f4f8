// The settings only some models take: OpenAI's background and moderation, and the fields of
// Stability AI's image services, each refused with its field named where the task or the
// model does not take it.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "services/generation_request.hpp"
#include "services/generation_request_settings.hpp"

namespace rendermart {
namespace {

ModelInfo service_model(GenerationTask task) {
  ModelInfo m;
  m.id = "service";
  m.tasks = {task};
  m.min_side = 64;
  m.max_side = 4857;
  m.size_multiple = 1;
  m.default_size = {1024, 1024};
  m.max_prompt_length = 100;
  return m;
}

GenerationParams params_for(GenerationTask task) {
  GenerationParams p;
  p.model = "service";
  p.task = task;
  p.prompt = "a fox";
  p.width = 512;
  p.height = 512;
  p.source_image_id = "source";
  return p;
}

std::string refused(const GenerationParams& params, const ModelInfo& model) {
  try {
    validate_generation(params, model);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    return e.field();
  }
  return "";
}

TEST(TaskSettings, SearchTasksNeedWhatToFind) {
  const auto model = service_model(GenerationTask::search_replace);
  auto params = params_for(GenerationTask::search_replace);
  EXPECT_EQ(refused(params, model), "search_prompt");
  params.search_prompt = "  ";
  EXPECT_EQ(refused(params, model), "search_prompt");
  params.search_prompt = "the cat";
  EXPECT_EQ(refused(params, model), "");
  params.prompt.clear();
  EXPECT_EQ(refused(params, model), "prompt");
  params.search_prompt = std::string(101, 'x');
  params.prompt = "a fox";
  EXPECT_EQ(refused(params, model), "search_prompt");
}

TEST(TaskSettings, SearchPromptBelongsToSearchTasksOnly) {
  auto params = params_for(GenerationTask::sketch);
  params.search_prompt = "the cat";
  EXPECT_EQ(refused(params, service_model(GenerationTask::sketch)), "search_prompt");
}

TEST(TaskSettings, StyleTransferNeedsAStyleImageButNotAPrompt) {
  const auto model = service_model(GenerationTask::style_transfer);
  auto params = params_for(GenerationTask::style_transfer);
  params.prompt.clear();
  EXPECT_EQ(refused(params, model), "style_image_id");
  params.style_image_id = "style";
  EXPECT_EQ(refused(params, model), "");
  auto other = params_for(GenerationTask::sketch);
  other.style_image_id = "style";
  EXPECT_EQ(refused(other, service_model(GenerationTask::sketch)), "style_image_id");
}

TEST(TaskSettings, EraseTakesAMaskAndNoPrompt) {
  const auto model = service_model(GenerationTask::erase);
  auto params = params_for(GenerationTask::erase);
  params.prompt.clear();
  EXPECT_EQ(refused(params, model), "mask_image_id");
  params.mask_image_id = "mask";
  EXPECT_EQ(refused(params, model), "");
  params.prompt = "a fox";
  EXPECT_EQ(refused(params, model), "prompt");
}

TEST(TaskSettings, RangesComeFromTheModel) {
  auto model = service_model(GenerationTask::sketch);
  auto params = params_for(GenerationTask::sketch);
  params.control_strength = 0.5;
  EXPECT_EQ(refused(params, model), "control_strength") << "the model declares no range";
  model.control_strength = {0, 1, 0.7};
  EXPECT_EQ(refused(params, model), "");
  params.control_strength = 1.5;
  EXPECT_EQ(refused(params, model), "control_strength");
  params.control_strength = 0.5;
  params.creativity = 0.3;
  EXPECT_EQ(refused(params, model), "creativity") << "sketch takes no creativity";
}

TEST(TaskSettings, APromptedUpscalerNeedsAPromptAndTheFastOneNone) {
  auto creative = service_model(GenerationTask::upscale);
  creative.creativity = {0.1, 0.5, 0.3};
  auto params = params_for(GenerationTask::upscale);
  params.creativity = 0.3;
  EXPECT_EQ(refused(params, creative), "");
  params.prompt.clear();
  EXPECT_EQ(refused(params, creative), "prompt");
  params.creativity = 0.05;
  params.prompt = "a fox";
  EXPECT_EQ(refused(params, creative), "creativity");

  const auto fast = service_model(GenerationTask::upscale);
  auto plain = params_for(GenerationTask::upscale);
  EXPECT_EQ(refused(plain, fast), "prompt");
  plain.prompt.clear();
  EXPECT_EQ(refused(plain, fast), "");
  EXPECT_TRUE(takes_prompt(GenerationTask::upscale, creative));
  EXPECT_FALSE(takes_prompt(GenerationTask::upscale, fast));
}

TEST(TaskSettings, BackgroundAndModerationAreTheModelsChoices) {
  ModelInfo gpt = service_model(GenerationTask::text_to_image);
  auto params = params_for(GenerationTask::text_to_image);
  params.source_image_id.clear();
  params.background = "opaque";
  EXPECT_EQ(refused(params, gpt), "background") << "a model without backgrounds";
  gpt.backgrounds = {"auto", "opaque"};
  gpt.moderations = {"auto", "low"};
  EXPECT_EQ(refused(params, gpt), "");
  params.background = "transparent";
  EXPECT_EQ(refused(params, gpt), "background");
  params.background = "auto";
  params.moderation = "none";
  EXPECT_EQ(refused(params, gpt), "moderation");
  params.moderation = "low";
  EXPECT_EQ(refused(params, gpt), "");
}

TEST(TaskSettings, ResolveTakesTheModelsDefaults) {
  ModelInfo model = service_model(GenerationTask::sketch);
  model.control_strength = {0, 1, 0.7};
  model.backgrounds = {"auto", "opaque"};
  GenerationParams params = params_for(GenerationTask::sketch);
  resolve_task_settings(params, {}, model, {});
  EXPECT_EQ(params.control_strength, 0.7);
  EXPECT_EQ(params.creativity, 0);
  EXPECT_EQ(params.background, "auto");
  EXPECT_EQ(params.moderation, "");

  GenerationRequest request;
  request.control_strength = 0.2;
  resolve_task_settings(params, request, model, {});
  EXPECT_EQ(params.control_strength, 0.2);
}

TEST(TaskSettings, StylePresetIsOneOfTheModelsPresets) {
  auto model = service_model(GenerationTask::sketch);
  model.control_strength = {0, 1, 0.7};
  auto params = params_for(GenerationTask::sketch);
  params.control_strength = 0.7;
  params.style_preset = "anime";
  EXPECT_EQ(refused(params, model), "style_preset") << "a model without presets";
  model.style_presets = {"anime", "origami"};
  EXPECT_EQ(refused(params, model), "");
  params.style_preset = "watercolor";
  EXPECT_EQ(refused(params, model), "style_preset");
}

TEST(TaskSettings, GrowMaskBelongsToTheMaskedAndSearchTasks) {
  auto model = service_model(GenerationTask::erase);
  model.grow_mask = {0, 20, 5};
  auto params = params_for(GenerationTask::erase);
  params.prompt.clear();
  params.mask_image_id = "mask";
  params.grow_mask = 20;
  EXPECT_EQ(refused(params, model), "");
  params.grow_mask = 21;
  EXPECT_EQ(refused(params, model), "grow_mask");
  params.grow_mask = -1;
  EXPECT_EQ(refused(params, model), "grow_mask");

  auto sketch = service_model(GenerationTask::sketch);
  sketch.grow_mask = {0, 20, 5};
  auto other = params_for(GenerationTask::sketch);
  other.grow_mask = 3;
  EXPECT_EQ(refused(other, sketch), "grow_mask") << "sketch grows no mask";
}

TEST(TaskSettings, StyleTransferTakesCompositionFidelityAndChangeStrength) {
  auto model = service_model(GenerationTask::style_transfer);
  model.composition_fidelity = {0, 1, 0.9};
  model.change_strength = {0.1, 1, 0.9};
  auto params = params_for(GenerationTask::style_transfer);
  params.style_image_id = "style";
  params.composition_fidelity = 0.5;
  params.change_strength = 0.1;
  EXPECT_EQ(refused(params, model), "");
  params.change_strength = 0.05;
  EXPECT_EQ(refused(params, model), "change_strength");
  params.change_strength = 0.5;
  params.composition_fidelity = 1.5;
  EXPECT_EQ(refused(params, model), "composition_fidelity");

  auto sketch = params_for(GenerationTask::sketch);
  sketch.composition_fidelity = 0.5;
  EXPECT_EQ(refused(sketch, service_model(GenerationTask::sketch)), "composition_fidelity");
}

TEST(TaskSettings, MaskBlurBelongsToTheModelsThatBlendTheirResult) {
  auto service = service_model(GenerationTask::inpaint);
  service.grow_mask = {0, 100, 5};
  auto params = params_for(GenerationTask::inpaint);
  params.mask_image_id = "mask";
  params.grow_mask = 5;
  params.mask_blur = 4;
  EXPECT_EQ(refused(params, service), "mask_blur") << "Stability's inpaint grows its mask instead";
  params.mask_blur = 0;
  EXPECT_EQ(refused(params, service), "");

  auto local = service_model(GenerationTask::inpaint);
  local.mask_blur = kA1111MaskBlur;
  params.grow_mask = 0;
  params.mask_blur = 64;
  EXPECT_EQ(refused(params, local), "");
  params.mask_blur = 65;
  EXPECT_EQ(refused(params, local), "mask_blur");
  params.mask_blur = 4;
  params.grow_mask = 5;
  EXPECT_EQ(refused(params, local), "grow_mask") << "a local model grows no mask";
}

TEST(TaskSettings, ResolveFillsTheServicesDefaults) {
  auto inpaint = service_model(GenerationTask::inpaint);
  inpaint.grow_mask = {0, 100, 5};
  auto params = params_for(GenerationTask::inpaint);
  resolve_task_settings(params, {}, inpaint, {});
  EXPECT_EQ(params.grow_mask, 5);
  EXPECT_EQ(params.mask_blur, 0) << "the model declares no mask blur";
  EXPECT_EQ(params.style_preset, "");
  EXPECT_EQ(params.composition_fidelity, 0);

  auto local = service_model(GenerationTask::inpaint);
  local.mask_blur = kA1111MaskBlur;
  resolve_task_settings(params, {}, local, {});
  EXPECT_EQ(params.mask_blur, 4);
  EXPECT_EQ(params.grow_mask, 0);

  auto transfer = service_model(GenerationTask::style_transfer);
  transfer.composition_fidelity = {0, 1, 0.9};
  transfer.change_strength = {0.1, 1, 0.9};
  auto styled = params_for(GenerationTask::style_transfer);
  GenerationRequest request;
  request.change_strength = 0.4;
  request.style_preset = "anime";
  resolve_task_settings(styled, request, transfer, {});
  styled.style_image_id = "style";
  EXPECT_EQ(styled.composition_fidelity, 0.9);
  EXPECT_EQ(styled.change_strength, 0.4);
  EXPECT_EQ(styled.style_preset, "anime") << "kept as asked, for validation to refuse";
  EXPECT_EQ(refused(styled, transfer), "style_preset");
}

}  // namespace
}  // namespace rendermart
