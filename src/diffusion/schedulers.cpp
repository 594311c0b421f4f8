#include "diffusion/scheduler.hpp"

#include <cmath>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

at::Tensor randn_like_cpu(const at::Tensor& x, at::Generator& generator) {
  return at::randn(x.sizes(), generator, at::TensorOptions().dtype(at::kFloat));
}

// Euler and Euler ancestral share the sigma parameterisation (k-diffusion).
class SigmaScheduler : public Scheduler {
 public:
  SigmaScheduler(const SchedulerConfig& config, const NoiseSchedule& schedule, int steps)
      : prediction_(config.prediction_type),
        spacing_(config.timestep_spacing.value_or("linspace")) {
    timesteps_ = schedule.spaced_timesteps(steps, spacing_, config.steps_offset);
    sigmas_ = schedule.sigmas_at(timesteps_);
    for (auto& s : sigmas_) s = f32(s);
    sigmas_.push_back(0);
  }

  double init_noise_sigma() const override {
    const double max = *std::max_element(sigmas_.begin(), sigmas_.end());
    return spacing_ == "linspace" || spacing_ == "trailing" ? max : std::sqrt(max * max + 1);
  }

  at::Tensor scale_model_input(const at::Tensor& x, int step) const override {
    const double sigma = sigmas_[static_cast<std::size_t>(step)];
    return x / std::sqrt(sigma * sigma + 1);
  }

  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, int step) const override {
    return x0 + noise * sigmas_[static_cast<std::size_t>(step)];
  }

 protected:
  at::Tensor denoised(const at::Tensor& model_output, const at::Tensor& x, double sigma) const {
    if (prediction_ == "epsilon") return x - model_output * sigma;
    if (prediction_ == "v_prediction") {
      return model_output * (-sigma / std::sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
    }
    return model_output;
  }

  std::string prediction_;
  std::string spacing_;
  std::vector<double> sigmas_;
};

class EulerScheduler : public SigmaScheduler {
 public:
  using SigmaScheduler::SigmaScheduler;

  SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                     at::Generator&) override {
    const auto i = static_cast<std::size_t>(step);
    const double sigma = sigmas_[i];
    auto x0 = denoised(model_output, x, sigma);
    const auto derivative = (x - x0) / sigma;
    return {x + derivative * (sigmas_[i + 1] - sigma), x0};
  }
};

class EulerAncestralScheduler : public SigmaScheduler {
 public:
  using SigmaScheduler::SigmaScheduler;

  SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                     at::Generator& noise) override {
    const auto i = static_cast<std::size_t>(step);
    const double from = sigmas_[i];
    const double to = sigmas_[i + 1];
    const double up = f32(std::sqrt(to * to * (from * from - to * to) / (from * from)));
    const double down = f32(std::sqrt(to * to - up * up));
    auto x0 = denoised(model_output, x, from);
    const auto derivative = (x - x0) / from;
    auto prev = x + derivative * (down - from);
    prev.add_(randn_like_cpu(x, noise) * up);
    return {prev, x0};
  }
};

// Schedulers on ᾱ(t) with integer timesteps: DDIM and LCM.
double alpha_at(const NoiseSchedule& schedule, double t, double final_alpha) {
  return t >= 0 ? schedule.alpha_cumprod(static_cast<int>(t)) : final_alpha;
}

// x0 noised to training timestep t: sqrt(ᾱ) x0 + sqrt(1 - ᾱ) noise.
at::Tensor noise_to_timestep(const NoiseSchedule& schedule, double t, const at::Tensor& x0,
                             const at::Tensor& noise) {
  const double alpha = schedule.alpha_cumprod(static_cast<int>(t));
  return x0 * f32(std::sqrt(alpha)) + noise * f32(std::sqrt(1 - alpha));
}

at::Tensor predict_x0(const std::string& prediction, const at::Tensor& model_output,
                      const at::Tensor& x, double alpha) {
  const double a = f32(std::sqrt(alpha));
  const double b = f32(std::sqrt(1 - alpha));
  if (prediction == "epsilon") return (x - model_output * b) / a;
  if (prediction == "v_prediction") return x * a - model_output * b;
  return model_output;
}

class DdimScheduler : public Scheduler {
 public:
  DdimScheduler(const SchedulerConfig& config, const NoiseSchedule& schedule, int steps)
      : schedule_(schedule), prediction_(config.prediction_type) {
    const int n = schedule.train_steps();
    if (steps < 1 || steps > n) {
      throw invalid_argument("steps", "steps must be between 1 and " + std::to_string(n));
    }
    final_alpha_ = config.set_alpha_to_one.value_or(true) ? 1.0 : schedule.alpha_cumprod(0);
    const auto spacing = config.timestep_spacing.value_or("leading");
    if (spacing == "linspace") {
      for (int i = steps - 1; i >= 0; --i) {
        timesteps_.push_back(std::round((n - 1) * static_cast<double>(i) / std::max(steps - 1, 1)));
      }
    } else {
      timesteps_ = schedule.spaced_timesteps(steps, spacing, config.steps_offset);
    }
    stride_ = n / steps;
  }

  SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                     at::Generator&) override {
    const double t = timesteps_[static_cast<std::size_t>(step)];
    const double alpha = alpha_at(schedule_, t, final_alpha_);
    const double alpha_prev = alpha_at(schedule_, t - stride_, final_alpha_);
    const double a = f32(std::sqrt(alpha));
    const double b = f32(std::sqrt(1 - alpha));
    auto x0 = predict_x0(prediction_, model_output, x, alpha);
    const auto eps = prediction_ == "epsilon"        ? model_output
                     : prediction_ == "v_prediction" ? model_output * a + x * b
                                                     : (x - x0 * a) / b;
    return {x0 * f32(std::sqrt(alpha_prev)) + eps * f32(std::sqrt(1 - alpha_prev)), x0};
  }

  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, int step) const override {
    return noise_to_timestep(schedule_, timesteps_[static_cast<std::size_t>(step)], x0, noise);
  }

 private:
  const NoiseSchedule& schedule_;
  std::string prediction_;
  double final_alpha_ = 1;
  int stride_ = 1;
};

class DpmSolverScheduler : public Scheduler {
 public:
  DpmSolverScheduler(const SchedulerConfig& config, const NoiseSchedule& schedule, int steps,
                     bool karras)
      : prediction_(config.prediction_type) {
    const int n = schedule.train_steps();
    if (steps < 1 || steps > n) {
      throw invalid_argument("steps", "steps must be between 1 and " + std::to_string(n));
    }
    const auto spacing = config.timestep_spacing.value_or("linspace");
    if (spacing == "linspace") {
      for (int i = steps; i >= 1; --i) {
        timesteps_.push_back(std::round((n - 1) * static_cast<double>(i) / steps));
      }
    } else if (spacing == "leading") {
      const int ratio = n / (steps + 1);
      for (int i = steps; i >= 1; --i) timesteps_.push_back(i * ratio + config.steps_offset);
    } else {
      const double ratio = static_cast<double>(n) / steps;
      for (double t = n; t > 0; t -= ratio) timesteps_.push_back(std::round(t) - 1);
    }
    if (karras) {
      const auto& train = schedule.train_sigmas();
      sigmas_ = karras_sigmas(train.front(), train.back(), steps);
      timesteps_.clear();
      for (double s : sigmas_) timesteps_.push_back(std::round(schedule.sigma_to_t(s)));
    } else {
      sigmas_ = schedule.sigmas_at(timesteps_);
    }
    for (auto& s : sigmas_) s = f32(s);
    sigmas_.push_back(0);  // final_sigmas_type "zero"
  }

  SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                     at::Generator&) override {
    const auto i = static_cast<std::size_t>(step);
    const auto [alpha_s, sigma_s] = alpha_sigma(sigmas_[i]);
    auto x0 = prediction_ == "epsilon"        ? (x - model_output * sigma_s) / alpha_s
              : prediction_ == "v_prediction" ? x * alpha_s - model_output * sigma_s
                                              : model_output;
    const bool last = i + 1 == timesteps_.size();
    // diffusers: lower-order final steps below 15 steps (and always with a zero final sigma)
    const bool first_order = !history_.defined() || last;
    at::Tensor prev;
    if (sigmas_[i + 1] == 0) {
      prev = x0;  // sigma 0: the next sample is the estimate itself
    } else {
      const auto [alpha_t, sigma_t] = alpha_sigma(sigmas_[i + 1]);
      const double lambda_t = std::log(alpha_t) - std::log(sigma_t);
      const double lambda_s = std::log(alpha_s) - std::log(sigma_s);
      const double h = lambda_t - lambda_s;
      const double phi = alpha_t * (std::exp(-h) - 1.0);
      if (first_order) {
        prev = x * (sigma_t / sigma_s) - x0 * phi;
      } else {
        const auto [alpha_s1, sigma_s1] = alpha_sigma(sigmas_[i - 1]);
        const double lambda_s1 = std::log(alpha_s1) - std::log(sigma_s1);
        const double r0 = (lambda_s - lambda_s1) / h;
        const auto d1 = (x0 - history_) * (1.0 / r0);
        prev = x * (sigma_t / sigma_s) - x0 * phi - d1 * (0.5 * phi);
      }
    }
    history_ = x0;
    return {prev, x0};
  }

  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, int step) const override {
    const auto [alpha, sigma] = alpha_sigma(sigmas_[static_cast<std::size_t>(step)]);
    return x0 * alpha + noise * sigma;
  }

 private:
  static std::pair<double, double> alpha_sigma(double sigma) {
    const double alpha = f32(1 / std::sqrt(sigma * sigma + 1));
    return {alpha, f32(sigma * alpha)};
  }

  std::string prediction_;
  std::vector<double> sigmas_;
  at::Tensor history_;  // the previous step's x0 estimate
};

class LcmScheduler : public Scheduler {
 public:
  LcmScheduler(const SchedulerConfig& config, const NoiseSchedule& schedule, int steps,
               double strength)
      : schedule_(schedule),
        prediction_(config.prediction_type),
        timestep_scaling_(config.timestep_scaling) {
    final_alpha_ = config.set_alpha_to_one.value_or(true) ? 1.0 : schedule.alpha_cumprod(0);
    const int original = config.original_inference_steps;
    const int k = schedule.train_steps() / original;
    const int origin_count = static_cast<int>(original * strength);
    if (steps < 1 || steps > origin_count || steps > original) {
      throw invalid_argument(
          "steps", "an LCM model takes between 1 and " +
                       std::to_string(std::max(1, std::min(origin_count, original))) + " steps");
    }
    std::vector<double> origin;
    for (int i = origin_count; i >= 1; --i) origin.push_back(i * k - 1);
    for (int i = 0; i < steps; ++i) {
      const auto index = static_cast<std::size_t>(
          std::floor(static_cast<double>(i) * static_cast<double>(origin.size()) / steps));
      timesteps_.push_back(origin[index]);
    }
  }

  SchedulerStep step(const at::Tensor& model_output, int step, const at::Tensor& x,
                     at::Generator& noise) override {
    const auto i = static_cast<std::size_t>(step);
    const double t = timesteps_[i];
    const double prev_t = i + 1 < timesteps_.size() ? timesteps_[i + 1] : t;
    const double alpha = schedule_.alpha_cumprod(static_cast<int>(t));
    const double alpha_prev = alpha_at(schedule_, prev_t, final_alpha_);
    const double scaled = t * timestep_scaling_;
    const double c_skip = 0.25 / (scaled * scaled + 0.25);
    const double c_out = scaled / std::sqrt(scaled * scaled + 0.25);
    const auto x0 = predict_x0(prediction_, model_output, x, alpha);
    auto denoised = x0 * c_out + x * c_skip;
    if (i + 1 == timesteps_.size()) return {denoised, denoised};
    auto prev = denoised * f32(std::sqrt(alpha_prev)) +
                randn_like_cpu(x, noise) * f32(std::sqrt(1 - alpha_prev));
    return {prev, denoised};
  }

  at::Tensor add_noise(const at::Tensor& x0, const at::Tensor& noise, int step) const override {
    return noise_to_timestep(schedule_, timesteps_[static_cast<std::size_t>(step)], x0, noise);
  }

 private:
  const NoiseSchedule& schedule_;
  std::string prediction_;
  double timestep_scaling_;
  double final_alpha_ = 1;
};

// Owns the noise schedule for the scheduler that refers to it.
template <typename Base>
class WithSchedule : public Base {
 public:
  template <typename... Args>
  WithSchedule(std::unique_ptr<NoiseSchedule> schedule, Args&&... args)
      : Base(std::forward<Args>(args)...), schedule_(std::move(schedule)) {}

 private:
  std::unique_ptr<NoiseSchedule> schedule_;
};

}  // namespace

std::unique_ptr<Scheduler> make_scheduler(SchedulerKind kind, const SchedulerConfig& config,
                                          int steps, double strength) {
  auto schedule = std::make_unique<NoiseSchedule>(config);
  const NoiseSchedule& s = *schedule;
  switch (kind) {
    case SchedulerKind::euler:
      return std::make_unique<WithSchedule<EulerScheduler>>(std::move(schedule), config, s, steps);
    case SchedulerKind::euler_ancestral:
      return std::make_unique<WithSchedule<EulerAncestralScheduler>>(std::move(schedule), config, s,
                                                                     steps);
    case SchedulerKind::ddim:
      return std::make_unique<WithSchedule<DdimScheduler>>(std::move(schedule), config, s, steps);
    case SchedulerKind::dpmpp_2m:
    case SchedulerKind::dpmpp_2m_karras:
      return std::make_unique<WithSchedule<DpmSolverScheduler>>(
          std::move(schedule), config, s, steps, kind == SchedulerKind::dpmpp_2m_karras);
    case SchedulerKind::lcm:
      return std::make_unique<WithSchedule<LcmScheduler>>(std::move(schedule), config, s, steps,
                                                          strength);
  }
  throw Error(ErrorCode::internal, "unknown scheduler");
}

}  // namespace rendermart::diffusion
