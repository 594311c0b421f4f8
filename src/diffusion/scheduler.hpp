#pragma once

// Samplers: how the latents move from noise to image, one model evaluation per step. Each follows
// its diffusers counterpart (0.27) step for step: Euler, Euler ancestral, DDIM (eta 0), DPM++ 2M
// (optionally with Karras sigmas) and LCM. A scheduler is stateful (multistep history), so each
// generation makes its own.

#include <ATen/ATen.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diffusion/model_config.hpp"
#include "diffusion/noise_schedule.hpp"

namespace rendermart::diffusion {

struct SchedulerStep {
  at::Tensor prev_sample;    // the latents for the next step
  at::Tensor pred_original;  // the model's current estimate of the clean latents (for previews)
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // Timesteps handed to the UNet, one per step (descending).
  const std::vector<double>& timesteps() const { return timesteps_; }
  // What the unit-variance initial noise is multiplied by.
  virtual double init_noise_sigma() const { return 1.0; }
  // The UNet's input at step i (a scaling of x for sigma-parameterised samplers).
  virtual at::Tensor scale_model_input(const at::Tensor& x, int /*step*/) const { return x; }
  // One step from x with the (guided) model output. `noise` draws standard normal noise of x's
  // shape for samplers that add noise.
  virtual SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                             at::Generator& noise) = 0;
  // img2img: clean latents noised to the level of step i.
  virtual at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, int step) const = 0;
  // img2img: start at this step, skipping the noisiest ones (diffusers' get_timesteps).
  void begin_at(int step) { first_step_ = step; }
  int first_step() const { return first_step_; }

 protected:
  std::vector<double> timesteps_;
  int first_step_ = 0;
};

// A scheduler of `kind` for `steps` steps, configured from the model's scheduler config (keys it
// lacks take the kind's own defaults, as diffusers' from_config does). img2img strength in (0, 1]
// only changes LCM's schedule; the caller skips the first steps of the others. Throws
// Error(invalid_argument, "steps") when the kind cannot make that many steps.
std::unique_ptr<Scheduler> make_scheduler(SchedulerKind kind, const SchedulerConfig& config,
                                          int steps, double strength = 1.0);

}  // namespace rendermart::diffusion
