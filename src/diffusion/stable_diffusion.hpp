#pragma once

// A loaded Stable Diffusion model: tokenizer, text encoder, UNet, VAE (and TAESD when present),
// and the steps of a generation as diffusers' StableDiffusionPipeline runs them. Weights load once
// and stay in memory; every method is const and thread-safe.

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "diffusion/clip_tokenizer.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/scheduler.hpp"
#include "diffusion/taesd.hpp"
#include "diffusion/text_encoder.hpp"
#include "diffusion/unet.hpp"
#include "diffusion/vae.hpp"

namespace rendermart::diffusion {

// What one denoising step saw and made (tests compare these with the reference).
struct StepRecord {
  int step = 0;
  double timestep = 0;
  at::Tensor unet_in;   // the scaled latents, one copy
  at::Tensor unet_out;  // [2 or 1, ...]: [uncond, cond] with guidance
  at::Tensor guided;    // the model output handed to the scheduler
  at::Tensor latents_out;
  at::Tensor pred_original;
};

struct DenoiseCallbacks {
  // After each step; may throw (e.g. Error(canceled)) to stop between steps.
  std::function<void(const StepRecord&)> on_step;
  // Before each step: true stops the generation with Error(canceled).
  std::function<bool()> canceled;
};

class StableDiffusion {
 public:
  // Loads every component's weights in `dtype` (float32 or bfloat16). `weights` null: from the
  // folder's safetensors files; else from that source (benchmarks). img2img: also load the VAE
  // encoder. Throws Error(model_error) for missing, corrupt or mismatched weights.
  StableDiffusion(const ModelFolder& folder, at::ScalarType dtype, bool img2img,
                  WeightSource* weights = nullptr);

  // The text encoder's last hidden state for a prompt: [1, 77, hidden] float32.
  at::Tensor encode_prompt(const std::string& prompt) const;
  // The context for a step: [uncond, cond] when guidance is on, else [cond].
  at::Tensor context(const std::string& prompt, const std::string& negative, bool guidance) const;
  // Runs the scheduler's steps from `latents` (already at the first step's noise level). Guidance
  // is on when `guidance_scale` > 1 and the UNet has no guidance embedding. Returns the final
  // latents.
  at::Tensor denoise(at::Tensor latents, const at::Tensor& context, double guidance_scale,
                     Scheduler& scheduler, at::Generator& noise,
                     const DenoiseCallbacks& callbacks) const;
  // Latents (as the UNet makes them) -> image float32 [B, 3, H, W] in [0, 1].
  at::Tensor decode(const at::Tensor& latents, bool taesd) const;
  // Image float32 [B, 3, H, W] in [0, 1] -> latents (the distribution's mean, scaled). Needs the
  // model loaded for img2img.
  at::Tensor encode(const at::Tensor& image) const;

  bool guidance_on(double guidance_scale) const {
    return guidance_scale > 1 && folder_.unet.time_cond_proj_dim == 0;
  }
  const ModelFolder& folder() const { return folder_; }
  const ClipTokenizer& tokenizer() const { return tokenizer_; }
  const TextEncoder& text_encoder() const { return *text_encoder_; }
  const UNet& unet() const { return *unet_; }
  const Vae& vae() const { return *vae_; }
  bool has_taesd() const { return taesd_ != nullptr; }
  // Bytes of weights held in memory (those mapped from files included).
  std::size_t weight_bytes() const { return weight_bytes_; }

 private:
  ModelFolder folder_;
  at::ScalarType dtype_;
  ClipTokenizer tokenizer_;
  std::unique_ptr<TextEncoder> text_encoder_;
  std::unique_ptr<UNet> unet_;
  std::unique_ptr<Vae> vae_;
  std::unique_ptr<TaesdDecoder> taesd_;
  std::size_t weight_bytes_ = 0;
};

// Unit-variance initial noise for `seed`: torch's CPU generator (mt19937) seeded with it, as
// torch.randn(shape, generator=torch.Generator().manual_seed(seed)) draws it, so a seed gives the
// same picture as diffusers on a CPU. The same generator then feeds the ancestral samplers.
at::Generator noise_generator(std::uint64_t seed);

}  // namespace rendermart::diffusion
