#include "providers/bedrock/bedrock_models.hpp"

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

}  // namespace

const std::vector<BedrockModel>& known_bedrock_models() {
  static const std::vector<BedrockModel> models = {
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
