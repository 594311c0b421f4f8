// The samplers the fixture pipelines do not cover (LCM, "trailing" spacing as SD-Turbo uses it,
// v-prediction DDIM, img2img's shortened schedules and add_noise) against diffusers, driven by a
// fixed stand-in model: see tests/fixtures/diffusion-extra/gen_extra_fixtures.py.

#include "diffusion/scheduler.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

struct Case {
  std::string name;
  SchedulerKind kind;
  nlohmann::json config;
  int steps;
  double strength;  // 1: txt2img
  std::optional<std::uint64_t> seed;
};

nlohmann::json sd1_config() {
  return {{"beta_end", 0.012},         {"beta_schedule", "scaled_linear"},
          {"beta_start", 0.00085},     {"num_train_timesteps", 1000},
          {"set_alpha_to_one", false}, {"steps_offset", 1},
          {"clip_sample", false}};
}

nlohmann::json with(nlohmann::json config, const nlohmann::json& extra) {
  config.update(extra);
  return config;
}

class SchedulerGolden : public ::testing::TestWithParam<Case> {};

TEST_P(SchedulerGolden, EveryStepMatchesDiffusers) {
  const auto& c = GetParam();
  const auto g = testing::load_golden(testing::fixtures() + "-extra/schedulers.safetensors");
  const auto key = [&](const std::string& k) { return g.at(c.name + "." + k); };
  const auto config = parse_scheduler_config(c.config, "test");
  auto scheduler = make_scheduler(c.kind, config, c.steps, c.strength);
  if (c.strength < 1 && c.kind != SchedulerKind::lcm) {
    const int steps = static_cast<int>(scheduler->timesteps().size());
    scheduler->begin_at(steps - std::min(static_cast<int>(steps * c.strength), steps));
  }
  const auto expected = key("timesteps");
  const int first = scheduler->first_step();
  ASSERT_EQ(static_cast<int64_t>(scheduler->timesteps().size()) - first, expected.size(0));
  for (int64_t i = 0; i < expected.size(0); ++i) {
    EXPECT_NEAR(scheduler->timesteps()[static_cast<std::size_t>(first + i)],
                expected[i].item<double>(), 1e-3);
  }
  auto x = c.strength < 1 ? scheduler->add_noise(key("x0"), key("noise"), first)
                          : key("noise") * scheduler->init_noise_sigma();
  EXPECT_LT(testing::relative_to_max(x, key("latents_in")), 1e-5);
  auto generator = at::detail::createCPUGenerator(c.seed.value_or(0));
  for (int64_t i = 0; i < expected.size(0); ++i) {
    const int step = first + static_cast<int>(i);
    const double t = scheduler->timesteps()[static_cast<std::size_t>(step)];
    const auto model_output = at::tanh(scheduler->scale_model_input(x, step) * 0.1) + t / 1000.0;
    x = scheduler->step(model_output, step, x, generator).prev_sample;
    EXPECT_LT(testing::relative_to_max(x, key("step" + std::to_string(i))), 1e-5) << "step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Samplers, SchedulerGolden,
    ::testing::ValuesIn(std::vector<Case>{
        {"lcm", SchedulerKind::lcm, sd1_config(), 4, 1.0, 99},
        {"euler_a_trailing", SchedulerKind::euler_ancestral,
         with(sd1_config(), {{"timestep_spacing", "trailing"}}), 2, 1.0, 5},
        {"ddim_v_trailing", SchedulerKind::ddim,
         with(sd1_config(),
              {{"timestep_spacing", "trailing"}, {"prediction_type", "v_prediction"}}),
         5, 1.0, std::nullopt},
        {"img2img_dpmpp_2m_karras", SchedulerKind::dpmpp_2m_karras, sd1_config(), 10, 0.6,
         std::nullopt},
        {"img2img_euler", SchedulerKind::euler, sd1_config(), 8, 0.5, std::nullopt},
        {"img2img_lcm", SchedulerKind::lcm, sd1_config(), 4, 0.5, 99}}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

TEST(Scheduler, RefusesStepCountsItCannotMake) {
  const auto config = parse_scheduler_config(sd1_config(), "test");
  EXPECT_THROW(make_scheduler(SchedulerKind::euler, config, 0), Error);
  EXPECT_THROW(make_scheduler(SchedulerKind::ddim, config, 1001), Error);
  EXPECT_THROW(make_scheduler(SchedulerKind::lcm, config, 51), Error);  // 50 original steps
}

}  // namespace
}  // namespace rendermart::diffusion
