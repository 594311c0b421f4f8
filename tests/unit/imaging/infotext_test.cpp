#include "imaging/infotext.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rendermart {
namespace {

GenerationParams sample() {
  GenerationParams p;
  p.prompt = "a red fox, at sunset";
  p.negative_prompt = "blurry";
  p.model = "procedural";
  p.style = "watercolor";
  p.width = 512;
  p.height = 768;
  p.steps = 20;
  p.cfg_scale = 7;
  p.seed = 123;
  return p;
}

TEST(Infotext, MatchesA1111Layout) {
  EXPECT_EQ(a1111_parameters(sample(), "Procedural (built-in)"),
            "a red fox, at sunset\n"
            "Negative prompt: blurry\n"
            "Steps: 20, CFG scale: 7, Seed: 123, Size: 512x768, Model: Procedural (built-in), "
            "Style: watercolor");
}

TEST(Infotext, OmitsEmptyFieldsAndQuotesAwkwardValues) {
  GenerationParams p = sample();
  p.negative_prompt.clear();
  p.steps = 0;
  p.cfg_scale = 7.5;
  p.style.clear();
  EXPECT_EQ(a1111_parameters(p, "sd: v1, pruned"),
            "a red fox, at sunset\nCFG scale: 7.5, Seed: 123, Size: 512x768, "
            "Model: \"sd: v1, pruned\"");
  p.cfg_scale = 0;
  EXPECT_EQ(a1111_parameters(p, "m"), "a red fox, at sunset\nSeed: 123, Size: 512x768, Model: m");
}

TEST(Infotext, RoundTripsThroughParser) {
  GenerationParams p = sample();
  p.prompt = "a fox, a hen: friends\nsecond line, \"quoted\"";
  p.negative_prompt = "ugly, blurry\nlow quality";
  p.style = "oil, \"thick\" painting";
  p.cfg_scale = 12.25;
  p.seed = 4294967295u;
  const GenerationParams back = parse_a1111_parameters(a1111_parameters(p, p.model));
  EXPECT_EQ(back.prompt, p.prompt);
  EXPECT_EQ(back.negative_prompt, p.negative_prompt);
  EXPECT_EQ(back.model, p.model);
  EXPECT_EQ(back.style, p.style);
  EXPECT_EQ(back.width, p.width);
  EXPECT_EQ(back.height, p.height);
  EXPECT_EQ(back.steps, p.steps);
  EXPECT_DOUBLE_EQ(back.cfg_scale, p.cfg_scale);
  EXPECT_EQ(back.seed, p.seed);
}

TEST(Infotext, ParsesA1111Output) {
  const auto p = parse_a1111_parameters(
      "masterpiece, best quality\nNegative prompt: lowres, bad anatomy\n"
      "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 768x512, "
      "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: \"a: 1, b: 2\"");
  EXPECT_EQ(p.prompt, "masterpiece, best quality");
  EXPECT_EQ(p.negative_prompt, "lowres, bad anatomy");
  EXPECT_EQ(p.steps, 28);
  EXPECT_DOUBLE_EQ(p.cfg_scale, 7.5);
  EXPECT_EQ(p.seed, 42u);
  EXPECT_EQ(p.width, 768);
  EXPECT_EQ(p.height, 512);
  EXPECT_EQ(p.model, "v1-5-pruned-emaonly");
}

TEST(Infotext, ALastLineWithFewFieldsIsPrompt) {
  const auto p = parse_a1111_parameters("a castle\nstyle: gothic, mood: dark");
  EXPECT_EQ(p.prompt, "a castle\nstyle: gothic, mood: dark");
  EXPECT_EQ(p.seed, 0u);
}

TEST(Infotext, JsonHoldsTheServicesSettingsWhereTheGenerationHasThem) {
  GenerationParams p = sample();
  auto j = nlohmann::json::parse(params_json(p));
  for (const char* key : {"style_preset", "grow_mask", "composition_fidelity", "change_strength"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
  p.style_preset = "line-art";
  p.grow_mask = 12;
  p.composition_fidelity = 0.8;
  p.change_strength = 0.3;
  j = nlohmann::json::parse(params_json(p));
  EXPECT_EQ(j["style_preset"], "line-art");
  EXPECT_EQ(j["grow_mask"], 12);
  EXPECT_EQ(j["composition_fidelity"], 0.8);
  EXPECT_EQ(j["change_strength"], 0.3);
}

TEST(Infotext, JsonHoldsEveryParameter) {
  GenerationParams p = sample();
  p.count = 3;
  p.quality = "premium";
  p.task = GenerationTask::image_to_image;
  p.source_image_id = "01SOURCE";
  p.strength = 0.25;
  p.loras = {{"ink wash", 0.8, "0123456789ab"}, {"grain", -0.5, "ba9876543210"}};
  const auto j = nlohmann::json::parse(params_json(p));
  EXPECT_EQ(j.size(), 17u);
  EXPECT_EQ(j["loras"], nlohmann::json::parse(R"([{"name": "ink wash", "weight": 0.8,
      "hash": "0123456789ab"}, {"name": "grain", "weight": -0.5, "hash": "ba9876543210"}])"));
  EXPECT_NE(a1111_parameters(p, "Procedural")
                .find(R"(Lora hashes: "ink wash: 0123456789ab, grain: ba9876543210")"),
            std::string::npos);
  EXPECT_EQ(j["quality"], "premium");
  EXPECT_EQ(j["task"], "image_to_image");
  EXPECT_EQ(j["source_image_id"], "01SOURCE");
  EXPECT_EQ(j["mask_image_id"], "");
  EXPECT_EQ(j["strength"], 0.25);
  EXPECT_NE(a1111_parameters(p, "Procedural").find("Denoising strength: 0.25"), std::string::npos);
  EXPECT_EQ(j["mask_blur"], 0);
  EXPECT_EQ(a1111_parameters(p, "Procedural").find("Mask blur"), std::string::npos);
  p.task = GenerationTask::inpaint;
  p.mask_blur = 6;
  EXPECT_NE(a1111_parameters(p, "Procedural").find("Mask blur: 6"), std::string::npos);
  EXPECT_NE(a1111_parameters(p, "Procedural").find("Denoising strength: 0.25"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(params_json(p))["mask_blur"], 6);
  p.task = GenerationTask::image_to_image;
  p.mask_blur = 0;
  EXPECT_EQ(j["prompt"], p.prompt);
  EXPECT_EQ(j["negative_prompt"], p.negative_prompt);
  EXPECT_EQ(j["model"], p.model);
  EXPECT_EQ(j["style"], p.style);
  EXPECT_EQ(j["width"], 512);
  EXPECT_EQ(j["height"], 768);
  EXPECT_EQ(j["steps"], 20);
  EXPECT_EQ(j["cfg_scale"], 7.0);
  EXPECT_EQ(j["seed"], 123u);
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(params_json(p).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace rendermart
