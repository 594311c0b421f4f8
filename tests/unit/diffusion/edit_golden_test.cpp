// Image-to-image and inpainting against diffusers' StableDiffusionImg2ImgPipeline and
// StableDiffusionInpaintPipeline (tests/fixtures/diffusion-xl/img2img and inpaint): from the
// recorded source picture, mask and seed, with the engine's own draws in diffusers' order, the
// start latents (the source's VAE posterior sampled, then noised), the mask as the latents see
// it, every step (an inpainting UNet's extra channels, an ordinary UNet's latent blending) within
// 1e-4 of the tensor's largest value, and the image within 1e-3; then the same through the
// engine as the local provider calls it, from RawImages and a seed.

#include <gtest/gtest.h>

#include "diffusion/engine.hpp"
#include "diffusion/stable_diffusion.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::load_golden;
using testing::relative_to_max;

std::string xl_fixtures() {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl";
}

struct EditCase {
  std::string set;    // img2img or inpaint
  std::string model;  // tiny-sd1, tiny-sd2 (tests/fixtures/diffusion) or tiny-sd1-inpaint
  std::string name;
  SchedulerKind kind;
  int steps = 0;
  double strength = 0;
  std::uint64_t seed = 0;
};

std::string case_name(const ::testing::TestParamInfo<EditCase>& info) {
  auto name = info.param.set + "_" + info.param.model + "_" + info.param.name;
  for (auto& c : name)
    if (c == '-' || c == '.') c = '_';
  return name;
}

bool inpainting(const EditCase& c) { return c.set == "inpaint"; }

std::string model_path(const EditCase& c) {
  return c.model == "tiny-sd1-inpaint" ? xl_fixtures() + "/tiny-sd1-inpaint"
                                       : testing::model_dir(c.model);
}

// The prompts and guidance of the fixtures' README (DDIM img2img: no negative prompt).
std::string prompt(const EditCase& c) {
  return inpainting(c) ? "a bowl of ripe peaches on a rustic wooden table, still life"
                       : "an oil painting of a red fox sitting in a snowy birch forest";
}
std::string negative(const EditCase& c) {
  if (inpainting(c)) return "lowres, blurry";
  return c.kind == SchedulerKind::euler ? "low contrast, washed out" : "";
}
double guidance(const EditCase& c) { return inpainting(c) ? 7.0 : 6.5; }

// u8 [H, W, C] or [H, W] -> float32 [1, C, H, W] in [0, 1].
at::Tensor unit_pixels(const at::Tensor& u8) {
  const auto hwc = u8.dim() == 2 ? u8.unsqueeze(-1) : u8;
  return hwc.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div(255.0).contiguous();
}

RawImage raw_image(const at::Tensor& u8) {
  const auto rgb = (u8.dim() == 2 ? u8.unsqueeze(-1).expand({-1, -1, 3}) : u8).contiguous();
  RawImage image{static_cast<int>(rgb.size(1)), static_cast<int>(rgb.size(0)), {}};
  image.rgb.assign(rgb.data_ptr<std::uint8_t>(), rgb.data_ptr<std::uint8_t>() + rgb.numel());
  return image;
}

class EditGolden : public ::testing::TestWithParam<EditCase> {};

TEST_P(EditGolden, StartEveryStepAndTheImageMatchTheReference) {
  const auto& c = GetParam();
  const auto folder = read_model_folder(model_path(c));
  const StableDiffusion sd(folder, at::kFloat, true);
  const auto g = load_golden(xl_fixtures() + "/" + c.set + "/" + c.model + "/" + c.set + "_" +
                             c.name + ".safetensors");

  auto scheduler = make_scheduler(c.kind, folder.scheduler, c.steps, c.strength);
  const int kept = std::min(static_cast<int>(c.steps * c.strength), c.steps);
  scheduler->begin_at(c.steps - kept);
  const auto& run = g.at("timesteps_run");
  ASSERT_EQ(kept, run.size(0));
  for (int i = 0; i < kept; ++i) {
    EXPECT_NEAR(scheduler->timesteps()[static_cast<std::size_t>(c.steps - kept + i)],
                run[i].item<double>(), 1e-3)
        << "timestep " << i;
  }

  const auto conditioning = sd.condition(prompt(c), negative(c), true, 64, 64);
  EXPECT_LT(relative_to_max(conditioning.context, g.at("encoder_hidden_states")), 1e-4);

  SourceImage source{unit_pixels(g.at("init_image_u8")), {}, 1};
  if (inpainting(c)) source.mask = unit_pixels(g.at("mask_u8"));
  auto generator = noise_generator(c.seed);
  const auto start = sd.start(&source, c.strength, 64, 64, *scheduler, generator);
  EXPECT_LT(relative_to_max(start.latents, g.at("latents_start")), 1e-4);
  ASSERT_EQ(start.inpainting.has_value(), inpainting(c));
  if (start.inpainting) {
    EXPECT_TRUE(at::equal(start.inpainting->mask, g.at("mask_latent")));
    if (folder.inpainting()) {
      EXPECT_LT(
          relative_to_max(start.inpainting->masked_image_latents, g.at("masked_image_latents")),
          1e-4);
    } else {
      EXPECT_LT(relative_to_max(start.inpainting->image_latents, g.at("image_latents")), 1e-4);
      EXPECT_TRUE(testing::same_noise(start.inpainting->noise, g.at("noise")));
    }
  }

  int steps = 0;
  DenoiseCallbacks callbacks;
  callbacks.on_step = [&](const StepRecord& r) {
    const auto key = "step" + std::to_string(r.step - scheduler->first_step()) + ".";
    EXPECT_NEAR(r.timestep, g.at(key + "timestep").item<double>(), 1e-3) << key;
    EXPECT_LT(relative_to_max(r.unet_in, g.at(key + "unet_in")), 1e-4) << key << "unet_in";
    EXPECT_LT(relative_to_max(r.unet_out, g.at(key + "unet_out")), 1e-4) << key << "unet_out";
    EXPECT_LT(relative_to_max(r.guided, g.at(key + "noise_pred_cfg")), 1e-4) << key << "cfg";
    EXPECT_LT(relative_to_max(r.latents_out, g.at(key + "latents_out")), 1e-4) << key << "latents";
    EXPECT_EQ(r.latents_blended.defined(), g.count(key + "latents_blended") == 1) << key;
    if (r.latents_blended.defined()) {
      EXPECT_LT(relative_to_max(r.latents_blended, g.at(key + "latents_blended")), 1e-4)
          << key << "latents_blended";
    }
    ++steps;
  };
  const auto final_latents =
      sd.denoise(start.latents, conditioning, guidance(c), *scheduler, generator, callbacks,
                 start.inpainting ? &*start.inpainting : nullptr);
  EXPECT_EQ(steps, kept);
  const auto image = sd.decode(final_latents, false).permute({0, 2, 3, 1});
  EXPECT_LT((image - g.at("image")).abs().max().item<double>(), 1e-3);
}

// One case of each kind through the engine (each of them ran step by step above).
class EditEngine : public EditGolden {};

TEST_P(EditEngine, MakesTheReferencesPictureForTheSeed) {
  const auto& c = GetParam();
  const DiffusionModel model(read_model_folder(model_path(c)), EngineOptions{false, true});
  const auto g = load_golden(xl_fixtures() + "/" + c.set + "/" + c.model + "/" + c.set + "_" +
                             c.name + ".safetensors");
  ImageRequest r;
  r.prompt = prompt(c);
  r.negative_prompt = negative(c);
  r.width = r.height = 64;
  r.steps = c.steps;
  r.guidance_scale = guidance(c);
  r.seed = c.seed;
  r.scheduler = c.kind;
  r.init_image = raw_image(g.at("init_image_u8"));
  r.strength = c.strength;
  if (inpainting(c)) r.mask = raw_image(g.at("mask_u8"));
  const auto image = model.generate(r, nullptr, nullptr);
  const auto pixels = at::from_blob(const_cast<std::uint8_t*>(image.rgb.data()),
                                    {1, image.height, image.width, 3}, at::kByte)
                          .to(at::kFloat)
                          .div(255.0);
  // The engine's bytes are the reference's floats rounded (half a level) within 1e-3.
  EXPECT_LT((pixels - g.at("image")).abs().max().item<double>(), 0.5 / 255 + 1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    Diffusers, EditGolden,
    ::testing::ValuesIn(std::vector<EditCase>{
        {"img2img", "tiny-sd1", "euler_s0.5", SchedulerKind::euler, 6, 0.5, 5150},
        {"img2img", "tiny-sd1", "euler_s0.8", SchedulerKind::euler, 6, 0.8, 5151},
        {"img2img", "tiny-sd1", "ddim_s0.5", SchedulerKind::ddim, 6, 0.5, 5152},
        {"img2img", "tiny-sd1", "ddim_s0.8", SchedulerKind::ddim, 6, 0.8, 5153},
        {"img2img", "tiny-sd2", "euler_s0.5", SchedulerKind::euler, 6, 0.5, 5150},
        {"img2img", "tiny-sd2", "euler_s0.8", SchedulerKind::euler, 6, 0.8, 5151},
        {"img2img", "tiny-sd2", "ddim_s0.5", SchedulerKind::ddim, 6, 0.5, 5152},
        {"img2img", "tiny-sd2", "ddim_s0.8", SchedulerKind::ddim, 6, 0.8, 5153},
        {"inpaint", "tiny-sd1", "euler_s1.0", SchedulerKind::euler, 4, 1.0, 31415},
        {"inpaint", "tiny-sd1", "ddim_s0.75", SchedulerKind::ddim, 6, 0.75, 27182},
        {"inpaint", "tiny-sd1-inpaint", "euler_s1.0", SchedulerKind::euler, 4, 1.0, 31415},
        {"inpaint", "tiny-sd1-inpaint", "ddim_s0.75", SchedulerKind::ddim, 6, 0.75, 27182}}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Diffusers, EditEngine,
    ::testing::ValuesIn(std::vector<EditCase>{
        {"img2img", "tiny-sd2", "euler_s0.8", SchedulerKind::euler, 6, 0.8, 5151},
        {"inpaint", "tiny-sd1", "ddim_s0.75", SchedulerKind::ddim, 6, 0.75, 27182},
        {"inpaint", "tiny-sd1-inpaint", "euler_s1.0", SchedulerKind::euler, 4, 1.0, 31415}}),
    case_name);

}  // namespace
}  // namespace rendermart::diffusion
