// The bodies of Stability AI's image services on Bedrock, field by field, and the models that
// declare them.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "imaging/png.hpp"
#include "providers/bedrock/bedrock_models.hpp"
#include "providers/bedrock/stability_services.hpp"
#include "raw_images.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

using test::solid;

// `outside` everywhere but a rectangle of `inside`.
RawImage box(int width, int height, int x0, int y0, int x1, int y1, std::uint8_t inside,
             std::uint8_t outside) {
  RawImage mask = solid(width, height, outside);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      const auto i = (static_cast<std::size_t>(y) * width + x) * 3;
      mask.rgb[i] = mask.rgb[i + 1] = mask.rgb[i + 2] = inside;
    }
  }
  return mask;
}

// Outpaint's mask: white over the kept picture, black over the margins.
RawImage kept_box(int width, int height, int x0, int y0, int x1, int y1) {
  return box(width, height, x0, y0, x1, y1, 255, 0);
}

RawImage decoded(const json& value) {
  return decode_png(*base64_decode(value.get<std::string>())).image;
}

GenerationParams params_for(GenerationTask task) {
  GenerationParams p;
  p.task = task;
  p.prompt = "a red fox";
  p.negative_prompt = "rain";
  p.width = 96;
  p.height = 64;
  return p;
}

GenerationInputs source_only() {
  GenerationInputs inputs;
  inputs.image = solid(96, 64, 90);
  return inputs;
}

json body_for(const GenerationParams& params, const GenerationInputs& inputs) {
  return json::parse(stability_service_request(params, inputs, 42));
}

std::set<std::string> keys(const json& body) {
  std::set<std::string> out;
  for (const auto& [key, value] : body.items()) out.insert(key);
  return out;
}

TEST(StabilityServices, SearchReplaceAndRecolorNameWhatToFind) {
  auto params = params_for(GenerationTask::search_replace);
  params.search_prompt = "the cat";
  params.grow_mask = 3;
  auto body = body_for(params, source_only());
  EXPECT_EQ(keys(body),
            (std::set<std::string>{"image", "prompt", "negative_prompt", "search_prompt",
                                   "grow_mask", "seed", "output_format"}));
  EXPECT_EQ(body["search_prompt"], "the cat");
  EXPECT_EQ(body["grow_mask"], 3);
  EXPECT_EQ(body["seed"], 42);
  EXPECT_EQ(body["output_format"], "png");
  EXPECT_EQ(decoded(body["image"]).width, 96);

  params.task = GenerationTask::search_recolor;
  body = body_for(params, source_only());
  EXPECT_EQ(body["select_prompt"], "the cat");
  EXPECT_FALSE(body.contains("search_prompt"));
}

TEST(StabilityServices, InpaintAndEraseSendTheMaskWhiteWhereTheyPaint) {
  auto inputs = source_only();
  inputs.mask = box(96, 64, 48, 0, 96, 64, 255, 0);  // the right half is painted
  auto inpaint = params_for(GenerationTask::inpaint);
  inpaint.grow_mask = 12;
  inpaint.mask_blur = 0;
  auto body = body_for(inpaint, inputs);
  const RawImage mask = decoded(body["mask"]);
  EXPECT_EQ(mask.rgb[0], 0);
  EXPECT_EQ(mask.rgb[(95) * 3], 255);
  EXPECT_EQ(body["prompt"], "a red fox");
  EXPECT_EQ(body["grow_mask"], 12);
  EXPECT_FALSE(body.contains("mask_blur"));

  auto erase = params_for(GenerationTask::erase);
  erase.prompt.clear();
  erase.negative_prompt.clear();
  erase.grow_mask = 5;
  body = body_for(erase, inputs);
  EXPECT_EQ(keys(body),
            (std::set<std::string>{"image", "mask", "grow_mask", "seed", "output_format"}));
}

TEST(StabilityServices, AStylePresetGoesWhereTheGenerationHasOne) {
  auto params = params_for(GenerationTask::sketch);
  params.control_strength = 0.7;
  EXPECT_FALSE(body_for(params, source_only()).contains("style_preset"));
  params.style_preset = "origami";
  EXPECT_EQ(body_for(params, source_only())["style_preset"], "origami");

  GenerationInputs inputs;
  inputs.image = solid(100, 80, 10);
  inputs.mask = kept_box(100, 80, 10, 5, 90, 75);
  auto outpaint = params_for(GenerationTask::outpaint);
  outpaint.negative_prompt.clear();
  outpaint.style_preset = "pixel-art";
  EXPECT_EQ(body_for(outpaint, inputs)["style_preset"], "pixel-art");
}

TEST(StabilityServices, OutpaintSendsTheKeptPictureAndItsMargins) {
  GenerationInputs inputs;
  inputs.image = solid(100, 80, 10);
  inputs.mask = kept_box(100, 80, 10, 5, 90, 75);
  auto params = params_for(GenerationTask::outpaint);
  params.negative_prompt.clear();
  params.creativity = 0.5;
  const auto body = body_for(params, inputs);
  EXPECT_EQ(body["left"], 10);
  EXPECT_EQ(body["right"], 10);
  EXPECT_EQ(body["up"], 5);
  EXPECT_EQ(body["down"], 5);
  EXPECT_EQ(body["creativity"], 0.5);
  const RawImage picture = decoded(body["image"]);
  EXPECT_EQ(picture.width, 80);
  EXPECT_EQ(picture.height, 70);
}

TEST(StabilityServices, OutpaintRefusesAMaskThatKeepsOrAddsNothing) {
  EXPECT_THROW(outpaint_margins(solid(10, 10, 0)), Error);
  EXPECT_THROW(outpaint_margins(solid(10, 10, 255)), Error);
  EXPECT_THROW(outpaint_margins(kept_box(2100, 10, 2001, 0, 2100, 10)), Error);
}

TEST(StabilityServices, UpscalersTellFastFromPrompted) {
  auto params = params_for(GenerationTask::upscale);
  params.prompt.clear();
  params.negative_prompt.clear();
  auto body = body_for(params, source_only());
  EXPECT_EQ(keys(body), (std::set<std::string>{"image", "output_format"}));

  params = params_for(GenerationTask::upscale);
  params.creativity = 0.3;
  body = body_for(params, source_only());
  EXPECT_EQ(body["creativity"], 0.3);
  EXPECT_EQ(body["prompt"], "a red fox");
  EXPECT_EQ(body["seed"], 42);
}

TEST(StabilityServices, ControlsCarryTheirStrength) {
  auto params = params_for(GenerationTask::sketch);
  params.control_strength = 0.7;
  EXPECT_EQ(body_for(params, source_only())["control_strength"], 0.7);

  params.task = GenerationTask::style_guide;
  const auto guide = body_for(params, source_only());
  EXPECT_EQ(guide["fidelity"], 0.7);
  EXPECT_EQ(guide["aspect_ratio"], "3:2");  // 96x64 is 3:2
  EXPECT_FALSE(guide.contains("control_strength"));
}

TEST(StabilityServices, StyleTransferSendsBothPictures) {
  auto params = params_for(GenerationTask::style_transfer);
  params.prompt.clear();
  params.negative_prompt.clear();
  params.control_strength = 1;
  params.composition_fidelity = 0.9;
  params.change_strength = 0.4;
  auto inputs = source_only();
  inputs.style = solid(32, 48, 200);
  const auto body = body_for(params, inputs);
  EXPECT_EQ(keys(body), (std::set<std::string>{"init_image", "style_image", "style_strength",
                                               "composition_fidelity", "change_strength", "seed",
                                               "output_format"}));
  EXPECT_EQ(decoded(body["style_image"]).height, 48);
  EXPECT_EQ(body["composition_fidelity"], 0.9);
  EXPECT_EQ(body["change_strength"], 0.4);
}

TEST(StabilityServices, RemoveBackgroundSendsOnlyThePicture) {
  auto params = params_for(GenerationTask::remove_background);
  params.prompt.clear();
  params.negative_prompt.clear();
  EXPECT_EQ(keys(body_for(params, source_only())),
            (std::set<std::string>{"image", "output_format"}));
}

TEST(StabilityServices, EachServiceIsAModelWithOneTask) {
  const std::map<std::string, GenerationTask> expected = {
      {"stability.stable-creative-upscale-v1:0", GenerationTask::upscale},
      {"stability.stable-conservative-upscale-v1:0", GenerationTask::upscale},
      {"stability.stable-fast-upscale-v1:0", GenerationTask::upscale},
      {"stability.stable-image-inpaint-v1:0", GenerationTask::inpaint},
      {"stability.stable-outpaint-v1:0", GenerationTask::outpaint},
      {"stability.stable-image-erase-object-v1:0", GenerationTask::erase},
      {"stability.stable-image-search-replace-v1:0", GenerationTask::search_replace},
      {"stability.stable-image-search-recolor-v1:0", GenerationTask::search_recolor},
      {"stability.stable-image-remove-background-v1:0", GenerationTask::remove_background},
      {"stability.stable-image-control-sketch-v1:0", GenerationTask::sketch},
      {"stability.stable-image-control-structure-v1:0", GenerationTask::structure},
      {"stability.stable-image-style-guide-v1:0", GenerationTask::style_guide},
      {"stability.stable-style-transfer-v1:0", GenerationTask::style_transfer},
  };
  for (const auto& [id, task] : expected) {
    const auto* model = find_bedrock_model(id);
    ASSERT_NE(model, nullptr) << id;
    EXPECT_EQ(model->format, BedrockFormat::stability_service) << id;
    EXPECT_EQ(model->info.tasks, std::vector<GenerationTask>{task}) << id;
  }
  EXPECT_GT(find_bedrock_model("stability.stable-creative-upscale-v1:0")->info.creativity.max, 0);
  EXPECT_EQ(find_bedrock_model("stability.stable-fast-upscale-v1:0")->info.creativity.max, 0);
  // What each service takes, as Stability's reference gives it.
  const auto info = [](const char* id) { return find_bedrock_model(id)->info; };
  const auto inpaint = info("stability.stable-image-inpaint-v1:0");
  EXPECT_EQ(inpaint.grow_mask.max, 100);
  EXPECT_EQ(inpaint.grow_mask.default_value, 5);
  EXPECT_EQ(inpaint.style_presets.size(), 17u);
  EXPECT_EQ(inpaint.mask_blur.max, 0) << "the service grows its own mask";
  EXPECT_EQ(info("stability.stable-image-erase-object-v1:0").grow_mask.max, 20);
  EXPECT_TRUE(info("stability.stable-image-erase-object-v1:0").style_presets.empty());
  EXPECT_EQ(info("stability.stable-image-search-recolor-v1:0").grow_mask.default_value, 3);
  EXPECT_TRUE(info("stability.stable-conservative-upscale-v1:0").style_presets.empty());
  EXPECT_FALSE(info("stability.stable-creative-upscale-v1:0").style_presets.empty());
  const auto transfer = info("stability.stable-style-transfer-v1:0");
  EXPECT_TRUE(transfer.style_presets.empty());
  EXPECT_EQ(transfer.composition_fidelity.default_value, 0.9);
  EXPECT_EQ(transfer.change_strength.min, 0.1);
  // Background removal takes sources of at most 4,194,304 pixels; the other edits 9,437,184.
  const auto& cutout = find_bedrock_model("stability.stable-image-remove-background-v1:0")->info;
  EXPECT_EQ(cutout.max_pixels, 4194304);
  EXPECT_EQ(cutout.max_side, 3238);
  EXPECT_EQ(find_bedrock_model("stability.stable-image-erase-object-v1:0")->info.max_pixels,
            9437184);
}

}  // namespace
}  // namespace rendermart
