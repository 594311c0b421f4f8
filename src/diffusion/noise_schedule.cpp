#include "diffusion/noise_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

// torch.linspace in float32: from both ends towards the middle.
std::vector<float> linspace_f32(float start, float end, int n) {
  std::vector<float> out(static_cast<std::size_t>(n));
  const float step = n > 1 ? (end - start) / static_cast<float>(n - 1) : 0.0f;
  const int halfway = n / 2;
  for (int i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = i < halfway ? start + step * static_cast<float>(i)
                                                   : end - step * static_cast<float>(n - i - 1);
  }
  return out;
}

double interp(double x, const std::vector<double>& ys) {
  if (x <= 0) return ys.front();
  const auto last = static_cast<double>(ys.size() - 1);
  if (x >= last) return ys.back();
  const auto low = static_cast<std::size_t>(std::floor(x));
  const double w = x - static_cast<double>(low);
  return ys[low] + (ys[low + 1] - ys[low]) * w;
}

}  // namespace

NoiseSchedule::NoiseSchedule(const SchedulerConfig& config) {
  const int n = config.num_train_timesteps;
  std::vector<float> betas;
  if (!config.trained_betas.empty()) {
    for (double b : config.trained_betas) betas.push_back(static_cast<float>(b));
  } else if (config.beta_schedule == "linear") {
    betas =
        linspace_f32(static_cast<float>(config.beta_start), static_cast<float>(config.beta_end), n);
  } else if (config.beta_schedule == "scaled_linear") {
    betas = linspace_f32(static_cast<float>(std::sqrt(config.beta_start)),
                         static_cast<float>(std::sqrt(config.beta_end)), n);
    for (auto& b : betas) b = b * b;
  } else {  // squaredcos_cap_v2
    const auto alpha_bar = [](double t) {
      return std::pow(std::cos((t + 0.008) / 1.008 * M_PI / 2), 2);
    };
    for (int i = 0; i < n; ++i) {
      const double t1 = static_cast<double>(i) / n;
      const double t2 = static_cast<double>(i + 1) / n;
      betas.push_back(static_cast<float>(std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999)));
    }
  }
  double product = 1;  // torch accumulates cumprod in double on the CPU
  for (float beta : betas) {
    product *= static_cast<double>(1.0f - beta);
    alphas_cumprod_.push_back(static_cast<float>(product));
  }
  if (config.rescale_betas_zero_snr) {
    // Lin et al. (2023): shift and scale sqrt(ᾱ) so that the last timestep has zero SNR.
    std::vector<double> root;
    for (float a : alphas_cumprod_) root.push_back(std::sqrt(static_cast<double>(a)));
    const double first = root.front();
    const double last = root.back();
    for (auto& r : root) r = (r - last) * first / (first - last);
    for (std::size_t i = 0; i < root.size(); ++i)
      alphas_cumprod_[i] = static_cast<float>(root[i] * root[i]);
    alphas_cumprod_.back() = std::pow(2.0f, -24.0f);
  }
  for (float a : alphas_cumprod_) {
    const float sigma = std::sqrt((1.0f - a) / a);
    train_sigmas_.push_back(sigma);
    log_sigmas_.push_back(std::log(static_cast<double>(sigma)));
  }
}

std::vector<double> NoiseSchedule::spaced_timesteps(int steps, const std::string& spacing,
                                                    int steps_offset) const {
  const int n = train_steps();
  if (steps < 1 || steps > n) {
    throw invalid_argument("steps", "steps must be between 1 and " + std::to_string(n));
  }
  std::vector<double> out;
  if (spacing == "linspace") {
    for (int i = steps - 1; i >= 0; --i) {
      out.push_back(f32(steps == 1 ? 0.0 : (n - 1) * static_cast<double>(i) / (steps - 1)));
    }
  } else if (spacing == "leading") {
    const int ratio = n / steps;
    for (int i = steps - 1; i >= 0; --i) out.push_back(i * ratio + steps_offset);
  } else {  // trailing
    const double ratio = static_cast<double>(n) / steps;
    for (double t = n; t > 0; t -= ratio) out.push_back(std::round(t) - 1);
  }
  return out;
}

std::vector<double> NoiseSchedule::sigmas_at(const std::vector<double>& timesteps) const {
  std::vector<double> out;
  for (double t : timesteps) out.push_back(interp(t, train_sigmas_));
  return out;
}

double NoiseSchedule::sigma_to_t(double sigma) const {
  const double log_sigma = std::log(std::max(sigma, 1e-10));
  std::size_t low = 0;
  for (std::size_t i = 0; i < log_sigmas_.size(); ++i) {
    if (log_sigma - log_sigmas_[i] >= 0) low = i;
  }
  low = std::min(low, log_sigmas_.size() - 2);
  const double w = std::clamp(
      (log_sigmas_[low] - log_sigma) / (log_sigmas_[low] - log_sigmas_[low + 1]), 0.0, 1.0);
  return (1 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1);
}

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int steps) {
  constexpr double rho = 7.0;
  const double min_inv = std::pow(sigma_min, 1 / rho);
  const double max_inv = std::pow(sigma_max, 1 / rho);
  std::vector<double> out;
  for (int i = 0; i < steps; ++i) {
    const double ramp = steps == 1 ? 0.0 : static_cast<double>(i) / (steps - 1);
    out.push_back(std::pow(max_inv + ramp * (min_inv - max_inv), rho));
  }
  return out;
}

}  // namespace rendermart::diffusion
