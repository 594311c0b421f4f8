#include "providers/bedrock/bedrock_models.hpp"

#include <cmath>

#include "providers/bedrock/stability_format.hpp"

namespace rendermart {
namespace {

constexpr const char* kTitan = "amazon.titan-image-generator-v2:0";
constexpr const char* kNova = "amazon.nova-canvas-v1:0";
constexpr const char* kSd35Large = "stability.sd3-5-large-v1:0";
constexpr const char* kImageCore = "stability.stable-image-core-v1:1";
constexpr const char* kImageUltra = "stability.stable-image-ultra-v1:1";

const std::vector<GenerationTask> kAllTasks = {
    GenerationTask::text_to_image, GenerationTask::image_to_image, GenerationTask::inpaint,
    GenerationTask::outpaint, GenerationTask::remove_background};

ModelInfo cloud_model(const char* id, const char* name, const char* description) {
  ModelInfo info;
  info.id = id;
  info.name = name;
  info.provider = "bedrock";
  info.kind = "cloud";
  info.family = "bedrock";
  info.description = description;
  return info;
}

// Titan Image Generator G1 v2: a fixed list of sizes (longest side 1408), 1-5 images, cfgScale
// 1.1-10 (default 8), seed 0-2,147,483,646, prompts up to 512 characters.
BedrockModel titan() {
  auto info = cloud_model(kTitan, "Amazon Titan Image Generator G1 v2",
                          "Amazon's image model on Bedrock (legacy there): text to image, "
                          "variations, inpainting, outpainting and background removal.");
  info.tasks = kAllTasks;
  info.fixed_sizes = {{1024, 1024}, {768, 768},  {512, 512},  {768, 1152}, {384, 576},
                      {1152, 768},  {576, 384},  {768, 1280}, {384, 640},  {1280, 768},
                      {640, 384},   {896, 1152}, {448, 576},  {1152, 896}, {576, 448},
                      {768, 1408},  {384, 704},  {1408, 768}, {704, 384},  {640, 1408},
                      {320, 704},   {1408, 640}, {704, 320},  {1152, 640}, {1173, 640}};
  info.default_size = {1024, 1024};
  info.max_count = 5;
  info.cfg_scale = {1.1, 10, 8};
  info.max_prompt_length = 512;
  info.max_seed = 2147483646u;
  info.qualities = {"standard", "premium"};
  return {info, BedrockFormat::amazon_image};
}

// Nova Canvas: sides 320-4096 in steps of 16, fewer than 4,194,304 pixels, aspect ratio at most
// 4:1; 1-5 images, cfgScale 1.1-10 (default 6.5), seed 0-858,993,459, prompts up to 1024
// characters, eight visual styles.
BedrockModel nova() {
  auto info = cloud_model(
      kNova, "Amazon Nova Canvas",
      "Amazon's image model on Bedrock (Legacy there): text to image in "
      "eight visual styles, variations, inpainting, outpainting and background removal.");
  info.tasks = kAllTasks;
  info.min_side = 320;
  info.max_side = 4096;
  info.size_multiple = 16;
  info.max_pixels = 4194303;
  info.max_aspect_ratio = 4;
  info.default_size = {1024, 1024};
  info.max_count = 5;
  info.cfg_scale = {1.1, 10, 6.5};
  info.max_prompt_length = 1024;
  info.max_seed = 858993459u;
  info.qualities = {"standard", "premium"};
  info.styles = {"3D_ANIMATED_FAMILY_FILM",
                 "DESIGN_SKETCH",
                 "FLAT_VECTOR_ILLUSTRATION",
                 "GRAPHIC_NOVEL_ILLUSTRATION",
                 "MAXIMALISM",
                 "MIDCENTURY_RETRO",
                 "PHOTOREALISM",
                 "SOFT_DIGITAL_PAINTING"};
  return {info, BedrockFormat::amazon_image};
}

// Stability AI: an aspect ratio instead of a size, one image per call (RenderMart makes one
// call per image), seed 0-4,294,967,294, prompts up to 10,000 characters, no cfg or steps.
BedrockModel stability(const char* id, const char* name, const char* description,
                       bool image_to_image) {
  auto info = cloud_model(id, name, description);
  info.tasks = {GenerationTask::text_to_image};
  if (image_to_image) info.tasks.push_back(GenerationTask::image_to_image);
  for (const auto& aspect : stability_aspects()) info.fixed_sizes.push_back(aspect.size);
  info.default_size = {1024, 1024};
  info.max_count = 4;
  info.max_prompt_length = 10000;
  info.max_seed = 4294967294u;
  return {info, BedrockFormat::stability};
}

// Stability AI's image services: one task each, on a source image whose sides are at least 64
// pixels, of at most 9,437,184 pixels and an aspect ratio within 1:2.5 and 2.5:1 (the longer
// side is then at most 4,857 pixels); one image per call (RenderMart makes one call per image),
// seed 0-4,294,967,294, prompts up to 10,000 characters.
BedrockModel service(const char* id, const char* name, const char* description,
                     GenerationTask task) {
  auto info = cloud_model(id, name, description);
  info.tasks = {task};
  info.min_side = 64;
  info.max_side = 4857;
  info.size_multiple = 1;
  info.max_pixels = 9437184;
  info.max_aspect_ratio = 2.5;
  info.default_size = {1024, 1024};
  info.max_count = task_uses_prompt(task) ? 4 : 1;
  info.negative_prompt = task_uses_prompt(task) && task != GenerationTask::outpaint;
  info.max_prompt_length = 10000;
  info.max_seed = 4294967294u;
  return {info, BedrockFormat::stability_service};
}

// An upscaler: RenderMart checks the size of a task's result against the model, and counts an
// upscale as twice its source's sides; the service makes the size it makes (about 4
// megapixels for the creative and conservative ones, 4 times the sides for the fast one), and
// the image records it.
BedrockModel upscaler(const char* id, const char* name, const char* description,
                      std::int64_t max_source_pixels, int min_source_side, int max_source_side,
                      RealRange creativity) {
  auto model = service(id, name, description, GenerationTask::upscale);
  model.info.min_side = 2 * min_source_side;
  model.info.max_side = 2 * max_source_side;
  model.info.max_pixels = 4 * max_source_pixels;
  model.info.creativity = creativity;
  model.info.negative_prompt = creativity.max > 0;
  model.info.max_count = creativity.max > 0 ? 4 : 1;
  return model;
}

// The style presets of Stability AI's services (their style_preset), for those that take one.
const std::vector<std::string> kStylePresets = {
    "3d-model",  "analog-film", "anime",        "cinematic", "comic-book",  "digital-art",
    "enhance",   "fantasy-art", "isometric",    "line-art",  "low-poly",    "modeling-compound",
    "neon-punk", "origami",     "photographic", "pixel-art", "tile-texture"};

BedrockModel with_style_presets(BedrockModel model) {
  model.info.style_presets = kStylePresets;
  return model;
}

// How many pixels the service may grow the mask by, and its default.
BedrockModel with_grow_mask(BedrockModel model, IntRange grow_mask) {
  model.info.grow_mask = grow_mask;
  return model;
}

BedrockModel with_control(BedrockModel model, RealRange control_strength) {
  model.info.control_strength = control_strength;
  return model;
}

BedrockModel with_creativity(BedrockModel model, RealRange creativity) {
  model.info.creativity = creativity;
  return model;
}

// A service whose sources may have fewer pixels than the others' (still within 1:2.5 and 2.5:1,
// so the longer side is at most sqrt(2.5 * max_pixels)).
BedrockModel with_max_pixels(BedrockModel model, std::int64_t max_pixels) {
  model.info.max_pixels = max_pixels;
  model.info.max_side = static_cast<int>(std::sqrt(2.5 * static_cast<double>(max_pixels)));
  return model;
}

// Style transfer: style_strength (RenderMart's control_strength) 0-1, default 1;
// composition_fidelity 0-1, default 0.9; change_strength 0.1-1, default 0.9.
BedrockModel style_transfer() {
  auto model = with_control(
      service("stability.stable-style-transfer-v1:0", "Stable Image Style Transfer",
              "Stability AI's style transfer: the source redrawn in the style of style_image_id "
              "(its style strength is control_strength).",
              GenerationTask::style_transfer),
      {0, 1, 1});
  model.info.composition_fidelity = {0, 1, 0.9};
  model.info.change_strength = {0.1, 1, 0.9};
  return model;
}

std::vector<BedrockModel> stability_services() {
  using T = GenerationTask;
  // Ranges and defaults as Stability AI's API reference gives them (docs/cloud-models.md).
  return {
      with_style_presets(upscaler(
          "stability.stable-creative-upscale-v1:0", "Stable Image Creative Upscale",
          "Stability AI's upscaler for degraded pictures of up to 1 megapixel: re-imagines "
          "details after the prompt and makes about 4 megapixels.",
          1048576, 64, 1024, {0.1, 0.5, 0.3})),
      upscaler("stability.stable-conservative-upscale-v1:0", "Stable Image Conservative Upscale",
               "Stability AI's upscaler that keeps the picture as it is, after the prompt, and "
               "makes about 4 megapixels.",
               9437184, 64, 4857, {0.2, 0.5, 0.35}),
      upscaler("stability.stable-fast-upscale-v1:0", "Stable Image Fast Upscale",
               "Stability AI's quick upscaler: four times the width and height, no prompt.",
               1048576, 32, 1536, {}),
      with_style_presets(with_grow_mask(
          service("stability.stable-image-inpaint-v1:0", "Stable Image Inpaint",
                  "Stability AI's inpainting: repaints the masked part after the prompt.",
                  T::inpaint),
          {0, 100, 5})),
      with_style_presets(with_creativity(
          service("stability.stable-outpaint-v1:0", "Stable Image Outpaint",
                  "Stability AI's outpainting: extends the picture on its sides (up to 2000 "
                  "pixels a side) after the prompt.",
                  T::outpaint),
          {0, 1, 0.5})),
      with_grow_mask(
          service(
              "stability.stable-image-erase-object-v1:0", "Stable Image Erase Object",
              "Stability AI's eraser: removes what the mask covers and fills it from around it.",
              T::erase),
          {0, 20, 5}),
      with_style_presets(with_grow_mask(
          service("stability.stable-image-search-replace-v1:0", "Stable Image Search and Replace",
                  "Stability AI's search and replace: finds what search_prompt names and replaces "
                  "it after the prompt.",
                  T::search_replace),
          {0, 20, 3})),
      with_style_presets(with_grow_mask(
          service("stability.stable-image-search-recolor-v1:0", "Stable Image Search and Recolor",
                  "Stability AI's search and recolor: finds what search_prompt names and recolors "
                  "it after the prompt.",
                  T::search_recolor),
          {0, 20, 3})),
      with_max_pixels(
          service("stability.stable-image-remove-background-v1:0", "Stable Image Remove Background",
                  "Stability AI's background removal: the subject on a transparent background.",
                  T::remove_background),
          4194304),
      with_style_presets(with_control(
          service("stability.stable-image-control-sketch-v1:0", "Stable Image Control Sketch",
                  "Stability AI's sketch control: a picture after the prompt on the "
                  "lines of the source sketch.",
                  T::sketch),
          {0, 1, 0.7})),
      with_style_presets(with_control(
          service("stability.stable-image-control-structure-v1:0", "Stable Image Control Structure",
                  "Stability AI's structure control: a picture after the prompt that "
                  "keeps the source's structure.",
                  T::structure),
          {0, 1, 0.7})),
      with_style_presets(with_control(
          service("stability.stable-image-style-guide-v1:0", "Stable Image Style Guide",
                  "Stability AI's style guide: a new picture after the prompt in the "
                  "style of the source (its fidelity is control_strength).",
                  T::style_guide),
          {0, 1, 0.5})),
      style_transfer(),
  };
}

}  // namespace

const std::vector<BedrockModel>& known_bedrock_models() {
  static const std::vector<BedrockModel> models = [] {
    std::vector<BedrockModel> out = {
        stability(kSd35Large, "Stable Diffusion 3.5 Large",
                  "Stability AI's 8-billion-parameter model on Bedrock: text to image and image "
                  "to image. Sizes stand for aspect ratios; the image has the size the model "
                  "makes for its ratio.",
                  true),
        stability(kImageCore, "Stable Image Core",
                  "Stability AI's fast, affordable model on Bedrock: text to image. Sizes stand "
                  "for aspect ratios; the image has the size the model makes for its ratio.",
                  false),
        stability(kImageUltra, "Stable Image Ultra",
                  "Stability AI's highest-quality model on Bedrock: text to image. Sizes stand "
                  "for aspect ratios; the image has the size the model makes for its ratio.",
                  false),
        nova(),
        titan(),
    };
    for (auto& model : stability_services()) out.push_back(std::move(model));
    return out;
  }();
  return models;
}

const BedrockModel* find_bedrock_model(const std::string& model_id) {
  for (const auto& model : known_bedrock_models()) {
    if (model.info.id == model_id) return &model;
  }
  return nullptr;
}

std::vector<std::string> default_bedrock_model_ids() {
  return {kSd35Large, kImageCore, kImageUltra};
}

}  // namespace rendermart
