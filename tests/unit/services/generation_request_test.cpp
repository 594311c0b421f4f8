#include <gtest/gtest.h>

#include "core/error.hpp"
#include "services/generation_request.hpp"
#include "services/model_catalog.hpp"

namespace rendermart {
namespace {

ModelInfo free_size_model() {
  ModelInfo m;
  m.id = "free";
  m.min_side = 64;
  m.max_side = 1024;
  m.size_multiple = 8;
  m.default_size = {512, 512};
  m.max_count = 4;
  m.steps = {1, 50, 20};
  m.cfg_scale = {1, 20, 7};
  m.styles = {"watercolor", "neon"};
  m.max_prompt_length = 20;
  return m;
}

ModelInfo fixed_size_model() {
  ModelInfo m;
  m.id = "fixed";
  m.fixed_sizes = {{1024, 1024}, {1152, 896}};
  m.default_size = {1024, 1024};
  m.max_count = 1;
  m.negative_prompt = false;
  return m;
}

// Like Nova Canvas: every task, qualities, a pixel and aspect-ratio limit, a narrow seed range;
// and, as the built-in generator and local models do, a blurred mask for inpaint and outpaint.
ModelInfo editing_model() {
  ModelInfo m;
  m.id = "editing";
  m.tasks = {GenerationTask::text_to_image,     GenerationTask::image_to_image,
             GenerationTask::inpaint,           GenerationTask::outpaint,
             GenerationTask::remove_background, GenerationTask::upscale};
  m.min_side = 320;
  m.max_side = 4096;
  m.size_multiple = 16;
  m.max_pixels = 4194303;
  m.max_aspect_ratio = 4;
  m.default_size = {1024, 1024};
  m.max_count = 5;
  m.qualities = {"standard", "premium"};
  m.max_seed = 1000;
  m.mask_blur = kA1111MaskBlur;
  return m;
}

class StaticProvider : public Provider {
 public:
  std::vector<ModelInfo> models() const override {
    return {free_size_model(), fixed_size_model(), editing_model()};
  }
  std::vector<RawImage> generate(const GenerationParams&, const GenerationInputs&,
                                 const ProgressFn&, const CancelFlag&) override {
    return {};
  }
};

const ModelCatalog& catalog() {
  static const auto c = [] {
    auto built = std::make_unique<ModelCatalog>();
    built->add(std::make_shared<StaticProvider>());
    return built;
  }();
  return *c;
}

std::string rejected_field(const GenerationRequest& request, const Preferences& prefs = {}) {
  try {
    resolve_generation(request, prefs, catalog(), "free");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.field();
  }
  return "";
}

GenerationRequest prompt(std::string text) {
  GenerationRequest r;
  r.prompt = std::move(text);
  return r;
}

TEST(ResolveGeneration, FillsModelDefaultsAndARandomSeed) {
  const auto a = resolve_generation(prompt("a fox"), {}, catalog(), "free");
  EXPECT_EQ(a.model, "free");
  EXPECT_EQ(a.width, 512);
  EXPECT_EQ(a.height, 512);
  EXPECT_EQ(a.steps, 20);
  EXPECT_EQ(a.cfg_scale, 7);
  EXPECT_EQ(a.count, 1);
  const auto b = resolve_generation(prompt("a fox"), {}, catalog(), "free");
  const auto c = resolve_generation(prompt("a fox"), {}, catalog(), "free");
  EXPECT_FALSE(a.seed == b.seed && b.seed == c.seed);
}

TEST(ResolveGeneration, PreferencesFillWhatTheRequestOmits) {
  Preferences prefs;
  prefs.style = "neon";
  prefs.width = 640;
  prefs.height = 384;
  prefs.negative_prompt = "blur";
  auto request = prompt("a fox");
  const auto p = resolve_generation(request, prefs, catalog(), "free");
  EXPECT_EQ(p.style, "neon");
  EXPECT_EQ(p.width, 640);
  EXPECT_EQ(p.height, 384);
  EXPECT_EQ(p.negative_prompt, "blur");

  request.style = "watercolor";
  request.width = 256;
  request.seed = 7;
  const auto q = resolve_generation(request, prefs, catalog(), "free");
  EXPECT_EQ(q.style, "watercolor");
  EXPECT_EQ(q.width, 256);
  EXPECT_EQ(q.height, 384);
  EXPECT_EQ(q.seed, 7u);
}

TEST(ResolveGeneration, PreferencesAModelCannotUseAreIgnored) {
  Preferences prefs;
  prefs.model = "fixed";
  prefs.style = "neon";            // fixed has no styles
  prefs.negative_prompt = "blur";  // fixed takes no negative prompt
  prefs.width = 640;               // not one of fixed's sizes
  prefs.height = 384;
  const auto p = resolve_generation(prompt("a fox"), prefs, catalog(), "free");
  EXPECT_EQ(p.model, "fixed");
  EXPECT_EQ(p.style, "");
  EXPECT_EQ(p.negative_prompt, "");
  EXPECT_EQ(p.width, 1024);
}

TEST(ValidateGeneration, NamesTheOffendingField) {
  EXPECT_EQ(rejected_field(prompt("")), "prompt");
  EXPECT_EQ(rejected_field(prompt(" \n\t")), "prompt");
  EXPECT_EQ(rejected_field(prompt(std::string(21, 'a'))), "prompt");
  EXPECT_EQ(rejected_field(prompt("\xF0\x9F\xA6\x8A fox, 19 characters")), "");  // 20 code points

  auto r = prompt("fox");
  r.model = "nope";
  EXPECT_EQ(rejected_field(r), "model");
  r = prompt("fox");
  r.width = 1004;  // not a multiple of 8
  EXPECT_EQ(rejected_field(r), "width");
  r = prompt("fox");
  r.height = 2048;
  EXPECT_EQ(rejected_field(r), "height");
  r = prompt("fox");
  r.width = 0;
  EXPECT_EQ(rejected_field(r), "width");
  r = prompt("fox");
  r.steps = 51;
  EXPECT_EQ(rejected_field(r), "steps");
  r = prompt("fox");
  r.cfg_scale = 0.5;
  EXPECT_EQ(rejected_field(r), "cfg_scale");
  r = prompt("fox");
  r.count = 5;
  EXPECT_EQ(rejected_field(r), "count");
  r.count = 0;
  EXPECT_EQ(rejected_field(r), "count");
  r = prompt("fox");
  r.style = "oil";
  EXPECT_EQ(rejected_field(r), "style");

  r = prompt("fox");
  r.model = "fixed";
  r.negative_prompt = "blur";
  EXPECT_EQ(rejected_field(r), "negative_prompt");
  r.negative_prompt.reset();
  r.width = 1152;
  r.height = 896;
  EXPECT_EQ(rejected_field(r), "");
  r.height = 1024;
  EXPECT_EQ(rejected_field(r), "width");
  r.height = 896;
  r.steps = 10;  // fixed takes no steps
  EXPECT_EQ(rejected_field(r), "steps");
}

Image user_image(const std::string& id, int width, int height) {
  Image image;
  image.id = id;
  image.params.width = width;
  image.params.height = height;
  return image;
}

std::string rejected_task_field(const GenerationRequest& request, const RequestImages& images) {
  try {
    resolve_generation(request, {}, catalog(), "editing", images);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.field();
  }
  return "";
}

TEST(ResolveGeneration, TasksOnASourceKeepItsSizeAndTakeTheirOwnFields) {
  const RequestImages images{user_image("src", 512, 768), user_image("mask", 512, 768)};
  auto r = prompt("a vase");
  r.model = "editing";
  r.task = GenerationTask::image_to_image;
  r.source_image_id = "src";
  const auto variation = resolve_generation(r, {}, catalog(), "editing", images);
  EXPECT_EQ(variation.width, 512);
  EXPECT_EQ(variation.height, 768);
  EXPECT_EQ(variation.strength, kDefaultStrength);
  EXPECT_EQ(variation.quality, "standard");
  EXPECT_EQ(variation.source_image_id, "src");

  r.task = GenerationTask::inpaint;
  r.mask_image_id = "mask";
  const auto inpaint = resolve_generation(r, {}, catalog(), "editing", images);
  EXPECT_EQ(inpaint.mask_image_id, "mask");
  EXPECT_EQ(inpaint.strength, kDefaultMaskStrength);
  EXPECT_EQ(inpaint.mask_blur, kA1111MaskBlur.default_value);
  EXPECT_EQ(variation.mask_blur, 0);

  GenerationRequest cutout;
  cutout.model = "editing";
  cutout.task = GenerationTask::remove_background;
  cutout.source_image_id = "src";
  Preferences prefs;
  prefs.negative_prompt = "blur";  // preferences describe new pictures: not applied here
  EXPECT_EQ(resolve_generation(cutout, prefs, catalog(), "editing", images).negative_prompt, "");
}

TEST(ResolveGeneration, UpscaleDoublesTheSourceAndTakesNoPrompt) {
  const RequestImages images{user_image("src", 512, 384), std::nullopt};
  GenerationRequest r;
  r.model = "editing";
  r.task = GenerationTask::upscale;
  r.source_image_id = "src";
  const auto params = resolve_generation(r, {}, catalog(), "editing", images);
  EXPECT_EQ(params.width, 1024);
  EXPECT_EQ(params.height, 768);
  r.width = 512;
  EXPECT_EQ(rejected_task_field(r, images), "width");
  r.width.reset();
  r.prompt = "sharper";
  EXPECT_EQ(rejected_task_field(r, images), "prompt");
  // 4096 is the model's largest side: a 2560-wide source would make 5120.
  r.prompt.clear();
  const RequestImages wide{user_image("src", 2560, 320), std::nullopt};
  EXPECT_EQ(rejected_task_field(r, wide), "source_image_id");
}

TEST(ResolveGeneration, AnUploadIsNoTaskToAskFor) {
  auto r = prompt("x");
  r.model = "editing";
  r.task = GenerationTask::upload;
  EXPECT_EQ(rejected_task_field(r, RequestImages{}), "task");
}

TEST(ValidateGeneration, TaskRulesNameTheOffendingField) {
  const RequestImages source{user_image("src", 512, 512), std::nullopt};
  const RequestImages with_mask{user_image("src", 512, 512), user_image("mask", 512, 512)};
  const auto task = [](GenerationTask t, const char* text = "x") {
    auto r = prompt(text);
    r.model = "editing";
    r.task = t;
    return r;
  };
  auto r = task(GenerationTask::image_to_image);
  EXPECT_EQ(rejected_task_field(r, {}), "source_image_id");
  r.source_image_id = "src";
  EXPECT_EQ(rejected_task_field(r, source), "");
  r.width = 1024;
  EXPECT_EQ(rejected_task_field(r, source), "width");
  r.width.reset();
  r.strength = 1.5;
  EXPECT_EQ(rejected_task_field(r, source), "strength");
  r.strength.reset();
  r.mask_blur = 4;
  EXPECT_EQ(rejected_task_field(r, source), "mask_blur");
  r.mask_blur.reset();
  r.mask_image_id = "mask";
  EXPECT_EQ(rejected_task_field(r, with_mask), "mask_image_id");

  r = task(GenerationTask::inpaint);
  r.source_image_id = "src";
  EXPECT_EQ(rejected_task_field(r, source), "mask_image_id");
  r.mask_image_id = "mask";
  EXPECT_EQ(rejected_task_field(
                r, RequestImages{user_image("src", 512, 512), user_image("mask", 256, 256)}),
            "mask_image_id");
  EXPECT_EQ(rejected_task_field(
                r, RequestImages{user_image("src", 200, 200), user_image("mask", 200, 200)}),
            "source_image_id");
  r.strength = 0.5;
  EXPECT_EQ(rejected_task_field(r, with_mask), "");
  r.strength = 1.5;
  EXPECT_EQ(rejected_task_field(r, with_mask), "strength");
  r.strength.reset();
  r.mask_blur = kA1111MaskBlur.max + 1;
  EXPECT_EQ(rejected_task_field(r, with_mask), "mask_blur");
  r.mask_blur = -1;
  EXPECT_EQ(rejected_task_field(r, with_mask), "mask_blur");
  r.mask_blur = 0;
  EXPECT_EQ(rejected_task_field(r, with_mask), "");

  r = task(GenerationTask::remove_background);
  r.source_image_id = "src";
  EXPECT_EQ(rejected_task_field(r, source), "prompt");
  r.prompt.clear();
  EXPECT_EQ(rejected_task_field(r, source), "");
  r.count = 2;
  EXPECT_EQ(rejected_task_field(r, source), "count");

  r = prompt("fox");  // the free model: text to image only
  r.task = GenerationTask::outpaint;
  EXPECT_EQ(rejected_field(r), "task");
}

TEST(ValidateGeneration, SizeLimitsQualitiesAndSeedsOfCloudModels) {
  const auto request = [](int width, int height) {
    auto r = prompt("x");
    r.model = "editing";
    r.width = width;
    r.height = height;
    return r;
  };
  EXPECT_EQ(rejected_field(request(2048, 2032)), "");
  EXPECT_EQ(rejected_field(request(2048, 2048)), "width");   // 4,194,304 pixels
  EXPECT_EQ(rejected_field(request(2048, 496)), "width");    // wider than 4:1
  EXPECT_EQ(rejected_field(request(1024, 1000)), "height");  // not a multiple of 16
  auto r = request(1024, 1024);
  r.quality = "premium";
  EXPECT_EQ(rejected_field(r), "");
  r.quality = "hd";
  EXPECT_EQ(rejected_field(r), "quality");
  r.quality.reset();
  r.seed = 999;
  r.count = 2;
  EXPECT_EQ(rejected_field(r), "");
  r.count = 3;  // image 3 would use seed 1001
  EXPECT_EQ(rejected_field(r), "seed");
  r.seed.reset();
  for (int i = 0; i < 50; ++i) {
    const auto p = resolve_generation(r, {}, catalog(), "free");
    EXPECT_LE(p.seed + 2, 1000u) << "a random seed leaves room for every image";
  }
}

TEST(ModelCatalog, RejectsDuplicateIdsAndUnknownModels) {
  ModelCatalog c;
  c.add(std::make_shared<StaticProvider>());
  EXPECT_THROW(c.add(std::make_shared<StaticProvider>()), Error);
  EXPECT_EQ(c.models().size(), 3u);
  EXPECT_THROW(c.model("unknown"), Error);
  EXPECT_EQ(c.model("fixed").max_count, 1);
}

}  // namespace
}  // namespace rendermart
