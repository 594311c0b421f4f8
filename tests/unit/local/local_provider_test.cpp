// The `local` provider on the tiny fixture models: what it offers, the Provider contract
// (count, seeds, progress with previews, cancellation), and the edits: image-to-image,
// inpainting and outpainting (laid over the source through the blurred mask), upscaling.

#include "providers/local/local_provider.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"

namespace rendermart {
namespace {

const std::string kModels = std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion";

LocalProvider& provider() {
  static LocalProvider instance(LocalProviderOptions{kModels, "float32", 2, "vae"});
  return instance;
}

GenerationParams params(int count, std::uint32_t seed) {
  GenerationParams p;
  p.prompt = "a red fox";
  p.model = "tiny-sd1";
  p.width = 64;
  p.height = 64;
  p.steps = 2;
  p.cfg_scale = 4;
  p.seed = seed;
  p.count = count;
  return p;
}

TEST(LocalProvider, OffersEachModelFolderWithItsCapabilities) {
  const auto models = provider().models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].id, "tiny-sd1");
  EXPECT_EQ(models[1].id, "tiny-sd2");
  for (const auto& m : models) {
    EXPECT_EQ(m.kind, "local");
    EXPECT_EQ(m.provider, "local");
    EXPECT_EQ(m.default_size.width, 64);
    EXPECT_EQ(m.size_multiple, 8);
    EXPECT_EQ(m.steps.default_value, 25);
    EXPECT_DOUBLE_EQ(m.cfg_scale.default_value, 7.5);
    EXPECT_TRUE(m.negative_prompt);
    EXPECT_TRUE(m.styles.empty());
  }
}

TEST(LocalProvider, ImageIUsesSeedPlusIAndProgressCarriesPreviews) {
  std::vector<ProgressUpdate> updates;
  const CancelFlag cancel{false};
  const auto images = provider().generate(
      params(2, 41), {},
      [&](const ProgressUpdate& u) {
        if (u.stage == JobStage::generating) updates.push_back(u);
      },
      cancel);
  ASSERT_EQ(images.size(), 2u);
  const auto second = provider().generate(params(1, 42), {}, nullptr, cancel);
  EXPECT_EQ(images[1].rgb, second[0].rgb);
  EXPECT_NE(images[0].rgb, images[1].rgb);
  ASSERT_EQ(updates.size(), 4u);  // 2 images x 2 steps
  double last = 0;
  for (const auto& u : updates) {
    EXPECT_GT(u.fraction, last);
    last = u.fraction;
    ASSERT_TRUE(u.preview.has_value());
    EXPECT_EQ(u.preview->width, 32);
  }
  EXPECT_DOUBLE_EQ(last, 1.0);
}

TEST(LocalProvider, StopsWhenCanceled) {
  CancelFlag cancel{false};
  int steps = 0;
  try {
    provider().generate(
        params(2, 1), {},
        [&](const ProgressUpdate&) {
          if (++steps == 1) cancel = true;
        },
        cancel);
    FAIL() << "expected Error(canceled)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::canceled);
  }
  EXPECT_EQ(steps, 1);
}

TEST(LocalProvider, ImageToImageStartsFromTheSourceImage) {
  const CancelFlag cancel{false};
  RawImage source{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 0)};
  for (std::size_t i = 0; i < source.rgb.size(); i += 3) source.rgb[i] = 220;  // a red square

  auto p = params(1, 5);
  p.task = GenerationTask::image_to_image;
  p.strength = 0.5;
  const auto from_red = provider().generate(p, {source, std::nullopt}, nullptr, cancel);
  const auto again = provider().generate(p, {source, std::nullopt}, nullptr, cancel);
  EXPECT_EQ(from_red[0].rgb, again[0].rgb);

  for (std::size_t i = 0; i < source.rgb.size(); i += 3)
    std::swap(source.rgb[i], source.rgb[i + 2]);
  const auto from_blue = provider().generate(p, {source, std::nullopt}, nullptr, cancel);
  EXPECT_NE(from_red[0].rgb, from_blue[0].rgb);

  p.task = GenerationTask::text_to_image;
  p.strength = 0;
  EXPECT_NE(provider().generate(p, {}, nullptr, cancel)[0].rgb, from_red[0].rgb);
}

TEST(LocalProvider, AnOrdinaryModelOffersEveryEditButBackgroundRemoval) {
  for (const auto& m : provider().models()) {
    EXPECT_EQ(m.tasks,
              (std::vector<GenerationTask>{GenerationTask::text_to_image,
                                           GenerationTask::image_to_image, GenerationTask::inpaint,
                                           GenerationTask::outpaint, GenerationTask::upscale}));
  }
}

// A 64 x 64 picture of horizontal stripes, and a mask whose left half is white.
RawImage stripes() {
  RawImage image{64, 64, std::vector<std::uint8_t>(64 * 64 * 3)};
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      for (int c = 0; c < 3; ++c) image.rgb[(y * 64 + x) * 3 + c] = (y / 8) % 2 ? 200 : 40;
    }
  }
  return image;
}
RawImage left_half_mask() {
  RawImage mask{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 0)};
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 32; ++x) {
      for (int c = 0; c < 3; ++c) mask.rgb[(y * 64 + x) * 3 + c] = 255;
    }
  }
  return mask;
}

// Whether every pixel of columns [from, to) is the same in both pictures.
bool same_columns(const RawImage& a, const RawImage& b, int from, int to) {
  for (int y = 0; y < a.height; ++y) {
    for (int x = from; x < to; ++x) {
      for (int c = 0; c < 3; ++c) {
        const auto i = static_cast<std::size_t>((y * a.width + x) * 3 + c);
        if (a.rgb[i] != b.rgb[i]) return false;
      }
    }
  }
  return true;
}

TEST(LocalProvider, InpaintingKeepsTheSourceBeyondTheBlurredEdgeAndOutpaintingTheOtherSide) {
  const CancelFlag cancel{false};
  const auto source = stripes();
  auto p = params(1, 9);
  p.task = GenerationTask::inpaint;
  p.strength = 1;
  p.mask_blur = 4;  // a Gaussian of 2 * int(2.5 * 4 + 0.5) + 1 = 21 taps: 10 pixels each side
  const auto inpainted = provider().generate(p, {source, left_half_mask()}, nullptr, cancel);
  ASSERT_EQ(inpainted.size(), 1u);
  EXPECT_TRUE(same_columns(inpainted[0], source, 32 + 10, 64));
  EXPECT_FALSE(same_columns(inpainted[0], source, 0, 32 - 10));

  p.task = GenerationTask::outpaint;
  const auto outpainted = provider().generate(p, {source, left_half_mask()}, nullptr, cancel);
  EXPECT_TRUE(same_columns(outpainted[0], source, 0, 32 - 10));
  EXPECT_FALSE(same_columns(outpainted[0], source, 32 + 10, 64));

  // Without a blur the picture is the engine's (diffusers'), decoded kept area included.
  p.task = GenerationTask::inpaint;
  p.mask_blur = 0;
  const auto unblended = provider().generate(p, {source, left_half_mask()}, nullptr, cancel);
  EXPECT_FALSE(same_columns(unblended[0], source, 32 + 10, 64));
  EXPECT_TRUE(same_columns(unblended[0], inpainted[0], 0, 32 - 10));
}

TEST(LocalProvider, UpscalingDoublesTheSourceThroughItsLatents) {
  const CancelFlag cancel{false};
  RawImage source{32, 32, std::vector<std::uint8_t>(32 * 32 * 3, 90)};
  auto p = params(1, 4);
  p.prompt.clear();
  p.task = GenerationTask::upscale;
  p.width = p.height = 64;
  p.steps = 4;  // int(4 * 0.55) = 2 steps
  int steps = 0;
  const auto images = provider().generate(
      p, {source, std::nullopt},
      [&](const ProgressUpdate& u) {
        if (u.stage == JobStage::generating) ++steps;
      },
      cancel);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].width, 64);
  EXPECT_EQ(images[0].height, 64);
  EXPECT_EQ(steps, 2);
  // A generated source's prompt guides the pass.
  GenerationInputs generated{source, std::nullopt};
  generated.source_prompt = "a red fox";
  EXPECT_NE(provider().generate(p, generated, nullptr, cancel)[0].rgb, images[0].rgb);
}

TEST(LocalProvider, AnInpaintingModelOffersInpaintAndOutpaintOnly) {
  // tests/fixtures/diffusion-xl/tiny-sd1-inpaint: tiny-sd1 with a 9-channel UNet.
  LocalProvider local(LocalProviderOptions{
      std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl", "float32", 2, "vae"});
  const auto models = local.models();
  const auto found = std::find_if(models.begin(), models.end(),
                                  [](const ModelInfo& m) { return m.id == "tiny-sd1-inpaint"; });
  ASSERT_NE(found, models.end());
  EXPECT_EQ(found->family, "sd1");
  EXPECT_EQ(found->tasks,
            (std::vector<GenerationTask>{GenerationTask::inpaint, GenerationTask::outpaint}));

  const CancelFlag cancel{false};
  const auto source = stripes();
  auto p = params(1, 9);
  p.model = "tiny-sd1-inpaint";
  p.task = GenerationTask::inpaint;
  p.strength = 1;
  p.mask_blur = 4;
  const auto images = local.generate(p, {source, left_half_mask()}, nullptr, cancel);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_TRUE(same_columns(images[0], source, 32 + 10, 64));
  EXPECT_FALSE(same_columns(images[0], source, 0, 32 - 10));
  p.task = GenerationTask::text_to_image;
  p.mask_blur = 0;
  EXPECT_THROW(local.generate(p, {}, nullptr, cancel), Error);
}

// What one generation reported as its stages, in order, without repeats.
std::vector<JobStage> stages_of(LocalProvider& local, const std::string& model) {
  std::vector<JobStage> stages;
  auto p = params(1, 3);
  p.model = model;
  const CancelFlag cancel{false};
  local.generate(
      p, {},
      [&](const ProgressUpdate& u) {
        if (stages.empty() || stages.back() != u.stage) stages.push_back(u.stage);
      },
      cancel);
  return stages;
}

std::vector<std::string> loaded_ids(const LocalProvider& local) {
  std::vector<std::string> ids;
  for (const auto& model : local.loaded_models()) ids.push_back(model.id);
  return ids;
}

std::vector<std::string> in_memory(const LocalProvider& local) {
  auto ids = local.models_in_memory().value();
  std::sort(ids.begin(), ids.end());
  return ids;
}

using Stages = std::vector<JobStage>;
using Ids = std::vector<std::string>;

TEST(LocalProviderMemory, LoadsOnFirstUseAndKeepsModelsTheBudgetHolds) {
  LocalProvider local(LocalProviderOptions{kModels, "float32", 2, "vae"});
  EXPECT_EQ(in_memory(local), Ids{});
  EXPECT_EQ(stages_of(local, "tiny-sd1"), (Stages{JobStage::loading_model, JobStage::generating}));
  EXPECT_EQ(in_memory(local), Ids{"tiny-sd1"});
  EXPECT_EQ(stages_of(local, "tiny-sd2"), (Stages{JobStage::loading_model, JobStage::generating}));
  EXPECT_EQ(stages_of(local, "tiny-sd1"), Stages{JobStage::generating});
  EXPECT_EQ(loaded_ids(local), (Ids{"tiny-sd2", "tiny-sd1"}));  // least recently used first
  EXPECT_EQ(in_memory(local), (Ids{"tiny-sd1", "tiny-sd2"}));
}

TEST(LocalProviderMemory, UnloadsTheLeastRecentlyUsedToMakeRoom) {
  // A budget that holds tiny-sd1 as loaded, or tiny-sd2 as its files say, but not both.
  LocalProvider measure(LocalProviderOptions{kModels, "float32", 2, "vae"});
  stages_of(measure, "tiny-sd1");
  const auto sd1_in_memory = measure.loaded_models().at(0).weight_bytes;
  std::uint64_t sd2_on_disk = 0;
  for (const auto& model : measure.models()) {
    if (model.id == "tiny-sd2") sd2_on_disk = static_cast<std::uint64_t>(model.size_bytes);
  }
  ASSERT_GT(sd1_in_memory, 0u);
  ASSERT_GT(sd2_on_disk, 0u);
  LocalProvider local(
      LocalProviderOptions{kModels, "float32", 2, "vae", "auto", sd1_in_memory + sd2_on_disk - 1});
  stages_of(local, "tiny-sd1");
  EXPECT_EQ(loaded_ids(local), Ids{"tiny-sd1"});
  EXPECT_EQ(stages_of(local, "tiny-sd2"), (Stages{JobStage::loading_model, JobStage::generating}));
  EXPECT_EQ(loaded_ids(local), Ids{"tiny-sd2"});
  EXPECT_EQ(in_memory(local), Ids{"tiny-sd2"});
  EXPECT_EQ(stages_of(local, "tiny-sd1"), (Stages{JobStage::loading_model, JobStage::generating}));
  EXPECT_EQ(loaded_ids(local), Ids{"tiny-sd1"});
}

TEST(LocalProviderMemory, AModelLargerThanTheBudgetIsLoadedAlone) {
  LocalProvider local(LocalProviderOptions{kModels, "float32", 2, "vae", "auto", 1});
  EXPECT_EQ(stages_of(local, "tiny-sd1"), (Stages{JobStage::loading_model, JobStage::generating}));
  EXPECT_EQ(loaded_ids(local), Ids{"tiny-sd1"});
  stages_of(local, "tiny-sd2");
  EXPECT_EQ(loaded_ids(local), Ids{"tiny-sd2"});
}

TEST(LocalProvider, RejectsBadOptions) {
  EXPECT_THROW(LocalProvider(LocalProviderOptions{kModels, "float16", 0, "vae"}), Error);
  EXPECT_THROW(LocalProvider(LocalProviderOptions{kModels, "auto", 0, "tiny"}), Error);
}

}  // namespace
}  // namespace rendermart
