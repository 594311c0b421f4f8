// The `local` provider on the tiny fixture models: what it offers, and the Provider contract
// (count, seeds, progress with previews, cancellation).

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

TEST(LocalProvider, OffersImageToImage) {
  for (const auto& m : provider().models()) {
    EXPECT_TRUE(supports(m, GenerationTask::image_to_image));
    EXPECT_FALSE(supports(m, GenerationTask::inpaint));
  }
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
