// The `local` provider with an SDXL model (tests/fixtures/diffusion-xl/tiny-sdxl): its family and
// defaults, a Turbo model's few-step defaults without guidance, and whole images.

#include <gtest/gtest.h>

#include <filesystem>

#include "providers/local/local_provider.hpp"

namespace rendermart {
namespace {

namespace fs = std::filesystem;

const std::string kSdxl =
    std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl/tiny-sdxl";

// A models folder with tiny-sdxl under two names; the second says Turbo.
class SdxlModels {
 public:
  SdxlModels()
      : dir_(fs::temp_directory_path() / ("rendermart-sdxl-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    fs::create_directory_symlink(kSdxl, dir_ / "tiny-sdxl");
    fs::create_directory_symlink(kSdxl, dir_ / "tiny-sdxl-turbo");
  }
  ~SdxlModels() { fs::remove_all(dir_); }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
};

LocalProvider& provider() {
  static SdxlModels models;
  static LocalProvider instance(LocalProviderOptions{models.path(), "float32", 2, "vae"});
  return instance;
}

TEST(LocalSdxl, OffersTheModelAsSdxlWithItsNativeSize) {
  const auto models = provider().models();
  ASSERT_EQ(models.size(), 2u);
  const auto& sdxl = models[0];
  EXPECT_EQ(sdxl.id, "tiny-sdxl");
  EXPECT_EQ(sdxl.family, "sdxl");
  EXPECT_EQ(sdxl.default_size.width, 64);  // the UNet's sample size times the VAE's factor
  EXPECT_EQ(sdxl.steps.default_value, 25);
  EXPECT_DOUBLE_EQ(sdxl.cfg_scale.default_value, 7.5);
  EXPECT_NE(sdxl.description.find("Stable Diffusion XL"), std::string::npos) << sdxl.description;

  const auto& turbo = models[1];
  EXPECT_EQ(turbo.id, "tiny-sdxl-turbo");
  EXPECT_EQ(turbo.family, "sdxl");
  EXPECT_EQ(turbo.steps.default_value, 1);
  EXPECT_EQ(turbo.steps.max, 4);
  EXPECT_DOUBLE_EQ(turbo.cfg_scale.default_value, 0);
}

TEST(LocalSdxl, MakesImagesWithAndWithoutGuidance) {
  const CancelFlag cancel{false};
  GenerationParams p;
  p.prompt = "a lighthouse on a cliff";
  p.model = "tiny-sdxl";
  p.width = 96;
  p.height = 64;
  p.steps = 2;
  p.cfg_scale = 5;
  p.seed = 11;
  p.count = 1;
  int updates = 0;
  const auto guided = provider().generate(
      p, {},
      [&](const ProgressUpdate& u) {
        if (u.stage == JobStage::generating) ++updates;
      },
      cancel);
  ASSERT_EQ(guided.size(), 1u);
  EXPECT_EQ(guided[0].width, 96);
  EXPECT_EQ(guided[0].height, 64);
  EXPECT_EQ(updates, 2);

  p.model = "tiny-sdxl-turbo";
  p.steps = 0;  // the model's default: one step
  p.cfg_scale = 0;
  const auto turbo = provider().generate(p, {}, nullptr, cancel);
  ASSERT_EQ(turbo.size(), 1u);
  EXPECT_EQ(turbo[0].rgb.size(), guided[0].rgb.size());
  EXPECT_NE(turbo[0].rgb, guided[0].rgb);
}

}  // namespace
}  // namespace rendermart
