// Whole txt2img runs of both tiny models with five schedulers against the reference, step by
// step: from the recorded initial latents (and, for Euler ancestral, the same torch generator
// seed), every UNet input and output, guided output and next latents within 1e-4 of the tensor's
// largest value, and the final image within 1e-3. The same models as single-file checkpoints
// give the same results (with the goldens' scheduler settings, which a checkpoint does not hold).

#include <gtest/gtest.h>

#include "diffusion/stable_diffusion.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::checkpoint_path;
using testing::golden;
using testing::model_dir;
using testing::relative_to_max;

struct Case {
  std::string model;
  std::string name;
  SchedulerKind kind;
  bool checkpoint = false;  // the model's single-file checkpoint instead of its folder
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  auto name = info.param.model + (info.param.checkpoint ? "_checkpoint_" : "_") + info.param.name;
  for (auto& c : name)
    if (c == '-') c = '_';
  return name;
}

class PipelineGolden : public ::testing::TestWithParam<Case> {};

TEST_P(PipelineGolden, EveryStepAndTheImageMatchTheReference) {
  const auto& c = GetParam();
  const auto folder = read_model_folder(model_dir(c.model));
  const StableDiffusion sd(c.checkpoint ? read_checkpoint_model(checkpoint_path(c.model)) : folder,
                           at::kFloat, false);
  const auto g = golden(c.model, "pipe_" + c.name + ".safetensors");

  auto scheduler = make_scheduler(c.kind, folder.scheduler, 4);
  const auto& expected_timesteps = g.at("timesteps");
  ASSERT_EQ(scheduler->timesteps().size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(scheduler->timesteps()[static_cast<std::size_t>(i)],
                expected_timesteps[i].item<double>(), 1e-3)
        << "timestep " << i;
  }

  const auto conditioning = sd.condition("a photograph of an astronaut riding a horse",
                                         "blurry, low quality, watermark", true, 64, 64);
  EXPECT_LT(relative_to_max(conditioning.context, g.at("encoder_hidden_states")), 1e-4);

  auto noise = noise_generator(1234);
  const auto latents = g.at("latents_in") * scheduler->init_noise_sigma();
  int steps = 0;
  DenoiseCallbacks callbacks;
  callbacks.on_step = [&](const StepRecord& r) {
    const auto key = "step" + std::to_string(r.step) + ".";
    EXPECT_NEAR(r.timestep, g.at(key + "timestep").item<double>(), 1e-3) << key;
    EXPECT_LT(relative_to_max(r.unet_in, g.at(key + "unet_in")), 1e-4) << key << "unet_in";
    EXPECT_LT(relative_to_max(r.unet_out, g.at(key + "unet_out")), 1e-4) << key << "unet_out";
    EXPECT_LT(relative_to_max(r.guided, g.at(key + "noise_pred_cfg")), 1e-4) << key << "cfg";
    EXPECT_LT(relative_to_max(r.latents_out, g.at(key + "latents_out")), 1e-4) << key << "latents";
    ++steps;
  };
  const auto final_latents = sd.denoise(latents, conditioning, 7.5, *scheduler, noise, callbacks);
  EXPECT_EQ(steps, 4);
  const auto image = sd.decode(final_latents, false).permute({0, 2, 3, 1});
  EXPECT_LT((image - g.at("image")).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Schedulers, PipelineGolden,
                         ::testing::ValuesIn(std::vector<Case>{
                             {"tiny-sd1", "euler", SchedulerKind::euler},
                             {"tiny-sd1", "euler_a", SchedulerKind::euler_ancestral},
                             {"tiny-sd1", "ddim", SchedulerKind::ddim},
                             {"tiny-sd1", "dpmpp_2m", SchedulerKind::dpmpp_2m},
                             {"tiny-sd1", "dpmpp_2m_karras", SchedulerKind::dpmpp_2m_karras},
                             {"tiny-sd2", "euler", SchedulerKind::euler},
                             {"tiny-sd2", "euler_a", SchedulerKind::euler_ancestral},
                             {"tiny-sd2", "ddim", SchedulerKind::ddim},
                             {"tiny-sd2", "dpmpp_2m", SchedulerKind::dpmpp_2m},
                             {"tiny-sd2", "dpmpp_2m_karras", SchedulerKind::dpmpp_2m_karras},
                             {"tiny-sd1", "euler", SchedulerKind::euler, true},
                             {"tiny-sd1", "dpmpp_2m_karras", SchedulerKind::dpmpp_2m_karras, true},
                             {"tiny-sd2", "euler", SchedulerKind::euler, true},
                             {"tiny-sd2", "ddim", SchedulerKind::ddim, true}}),
                         case_name);

TEST(PipelineGolden, EulerAncestralNoiseIsTorchsGeneratorForTheSeed) {
  const auto g = golden("tiny-sd1", "pipe_euler_a.safetensors");
  auto noise = noise_generator(1234);
  const auto drawn = at::randn({1, 4, 32, 32}, noise, at::TensorOptions().dtype(at::kFloat));
  EXPECT_TRUE(testing::same_noise(drawn, g.at("step0.ancestral_noise")));
}

}  // namespace
}  // namespace rendermart::diffusion

namespace rendermart::diffusion {
namespace {

TEST(PipelineGolden, ASeedDrawsTheReferencesInitialLatents) {
  // diffusers drew latents_in with torch.randn(generator=torch.Generator().manual_seed(20240601)):
  // the engine's generator for that seed draws the same numbers, bit for bit.
  const auto g = testing::golden("tiny-sd1", "pipe_euler.safetensors");
  auto generator = noise_generator(20240601);
  EXPECT_TRUE(testing::same_noise(
      at::randn({1, 4, 32, 32}, generator, at::TensorOptions().dtype(at::kFloat)),
      g.at("latents_in")));
}

}  // namespace
}  // namespace rendermart::diffusion
