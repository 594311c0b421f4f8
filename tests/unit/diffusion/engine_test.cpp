// The engine as the provider uses it: seeds, progress with previews, cancellation between steps,
// img2img with strength, bfloat16, and requests it must refuse.

#include "diffusion/engine.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "golden.hpp"
#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

class Engine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new DiffusionModel(read_model_folder(testing::model_dir("tiny-sd1")),
                                EngineOptions{false, true});
  }
  static void TearDownTestSuite() { delete model_; }

  static ImageRequest request(std::uint64_t seed) {
    ImageRequest r;
    r.prompt = "a red fox";
    r.negative_prompt = "blurry";
    r.width = 64;
    r.height = 48;
    r.steps = 3;
    r.seed = seed;
    r.scheduler = SchedulerKind::euler_ancestral;
    return r;
  }

  static inline DiffusionModel* model_ = nullptr;
};

TEST_F(Engine, TheSameSeedGivesTheSameImageAndAnotherSeedAnotherOne) {
  const auto a = model_->generate(request(7), nullptr, nullptr);
  const auto b = model_->generate(request(7), nullptr, nullptr);
  const auto c = model_->generate(request(8), nullptr, nullptr);
  EXPECT_EQ(a.width, 64);
  EXPECT_EQ(a.height, 48);
  EXPECT_EQ(a.rgb.size(), 64u * 48u * 3u);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_NE(a.rgb, c.rgb);
}

TEST_F(Engine, ReportsEveryStepWithALatentSizedPreview) {
  std::vector<StepProgress> steps;
  model_->generate(
      request(1), [&](const StepProgress& p) { steps.push_back(p); }, nullptr);
  ASSERT_EQ(steps.size(), 3u);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].step, static_cast<int>(i) + 1);
    EXPECT_EQ(steps[i].steps, 3);
    EXPECT_EQ(steps[i].preview.width, 32);  // vae_scale_factor 2
    EXPECT_EQ(steps[i].preview.height, 24);
    EXPECT_EQ(steps[i].preview.rgb.size(), 32u * 24u * 3u);
  }
  EXPECT_NE(steps[0].preview.rgb, steps[2].preview.rgb);
}

TEST_F(Engine, CancellationStopsBetweenSteps) {
  int seen = 0;
  try {
    model_->generate(
        request(1), [&](const StepProgress&) { ++seen; }, [&] { return seen >= 2; });
    FAIL() << "expected Error(canceled)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::canceled);
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(Engine, Img2ImgRunsTheStrengthsShareOfTheStepsFromTheInputPicture) {
  // (The samplers' img2img schedules and add_noise are checked against diffusers in
  // scheduler_test; here, the engine's use of them.)
  RawImage grey{40, 40, std::vector<std::uint8_t>(40 * 40 * 3, 128)};
  RawImage white{40, 40, std::vector<std::uint8_t>(40 * 40 * 3, 255)};
  auto r = request(3);
  r.steps = 4;
  r.scheduler = SchedulerKind::ddim;
  r.init_image = grey;
  r.strength = 0.5;
  int steps = 0;
  const auto from_grey = model_->generate(
      r, [&](const StepProgress& p) { steps = p.steps; }, nullptr);
  EXPECT_EQ(steps, 2);             // int(4 * 0.5)
  EXPECT_EQ(from_grey.width, 64);  // the input is resized to the requested size
  EXPECT_EQ(from_grey.height, 48);
  EXPECT_EQ(model_->generate(r, nullptr, nullptr).rgb, from_grey.rgb);
  r.init_image = white;
  EXPECT_NE(model_->generate(r, nullptr, nullptr).rgb, from_grey.rgb);

  r.strength = 0.1;  // int(4 * 0.1) = 0 steps
  EXPECT_THROW(model_->generate(r, nullptr, nullptr), Error);
}

TEST_F(Engine, RefusesSizesTheModelCannotMake) {
  auto r = request(1);
  r.width = 63;
  try {
    model_->generate(r, nullptr, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "width");
  }
}

TEST(EngineBFloat16, IsRefusedWithoutAvx512Bf16) {
  const auto folder = read_model_folder(testing::model_dir("tiny-sd2"));
  const IsaLimit limit(KernelIsa::avx512);
  try {
    const DiffusionModel bf16(folder, EngineOptions{true, false});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "diffusion_dtype");
    EXPECT_NE(std::string(e.what()).find("AVX-512 BF16"), std::string::npos) << e.what();
  }
}

TEST(EngineBFloat16, MakesAnImageCloseToFloat32) {
  if (!bfloat16_supported()) GTEST_SKIP() << "bfloat16 needs AVX-512 BF16";
  const auto folder = read_model_folder(testing::model_dir("tiny-sd2"));
  const DiffusionModel fp32(folder, EngineOptions{false, false});
  const DiffusionModel bf16(folder, EngineOptions{true, false});
  ImageRequest r;
  r.prompt = "a lighthouse";
  r.width = r.height = 64;
  r.steps = 2;
  r.scheduler = SchedulerKind::ddim;
  const auto a = fp32.generate(r, nullptr, nullptr);
  const auto b = bf16.generate(r, nullptr, nullptr);
  double diff = 0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) diff += std::abs(a.rgb[i] - b.rgb[i]);
  EXPECT_LT(diff / static_cast<double>(a.rgb.size()), 8.0);  // of 255
  EXPECT_LT(bf16.weight_bytes(), fp32.weight_bytes());
}

}  // namespace
}  // namespace rendermart::diffusion
