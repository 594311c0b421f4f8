#pragma once

// The discrete noise schedule that every scheduler starts from, computed as diffusers computes it
// (betas and their cumulative product in float32, interpolation in float64), so that timesteps and
// sigmas match the reference to float32 rounding. Torch-free.

#include <string>
#include <vector>

#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

class NoiseSchedule {
 public:
  explicit NoiseSchedule(const SchedulerConfig& config);

  int train_steps() const { return static_cast<int>(alphas_cumprod_.size()); }
  // alphas_cumprod[t], float32 values.
  float alpha_cumprod(int t) const { return alphas_cumprod_.at(static_cast<std::size_t>(t)); }
  // sigma(t) = sqrt((1 - ᾱ) / ᾱ) for every training timestep, ascending in t.
  const std::vector<double>& train_sigmas() const { return train_sigmas_; }

  // Timesteps for `steps` inference steps with the given spacing (linspace | leading | trailing),
  // as diffusers' Euler schedulers make them (float32 values, descending).
  std::vector<double> spaced_timesteps(int steps, const std::string& spacing,
                                       int steps_offset) const;
  // sigma at fractional timesteps, by linear interpolation (np.interp).
  std::vector<double> sigmas_at(const std::vector<double>& timesteps) const;
  // The fractional timestep whose log-sigma is nearest (diffusers' _sigma_to_t).
  double sigma_to_t(double sigma) const;

 private:
  std::vector<float> alphas_cumprod_;
  std::vector<double> train_sigmas_;
  std::vector<double> log_sigmas_;
};

// Karras et al. (2022) sigmas, rho 7, from sigma_max down to sigma_min.
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int steps);

// float32 rounding of a double, as a float32 tensor would store it.
inline double f32(double value) { return static_cast<double>(static_cast<float>(value)); }

}  // namespace rendermart::diffusion
