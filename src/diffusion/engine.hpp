#pragma once

// The engine as the platform uses it, without torch in the header: load a model folder once,
// then generate images from it, with progress, previews and cancellation between steps.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "core/error.hpp"
#include "diffusion/model_folder.hpp"

namespace rendermart::diffusion {

class Lora;
class StableDiffusion;

// Whether bfloat16 models can run: the CPU, as capped by configure_runtime, computes bfloat16
// natively (AVX512-BF16). Elsewhere libtorch's bfloat16 paths are slower than float32 or refuse
// to run.
bool bfloat16_supported();
// The configuration error (invalid_argument, field diffusion_dtype) for bfloat16 without it.
Error bfloat16_unsupported();

struct EngineOptions {
  bool bfloat16 = false;  // compute dtype: bfloat16 (needs bfloat16_supported()) or float32
  bool img2img = false;   // also load the VAE encoder
};

// A LoRA file (kohya / AUTOMATIC1111 format, lora.hpp) and the weight to merge it with.
struct LoraRequest {
  std::string path;
  double weight = 1;
};

struct ImageRequest {
  std::string prompt;
  std::string negative_prompt;
  int width = 512;  // multiples of the model's VAE scale factor
  int height = 512;
  int steps = 25;
  double guidance_scale = 7.5;  // <= 1: no classifier-free guidance (one UNet pass per step)
  std::uint64_t seed = 0;
  SchedulerKind scheduler = SchedulerKind::dpmpp_2m_karras;
  bool taesd = false;  // decode with TAESD when the model has it
  // img2img: start from this picture (resized to width x height), keeping (1 - strength) of it.
  std::optional<RawImage> init_image;
  double strength = 0.75;
  // Inpainting: where init_image is repainted, white (a brightness of at least half) for repaint,
  // black for keep; resized as init_image is. As diffusers' StableDiffusionInpaintPipeline does
  // it (an inpainting model's extra channels, else latent blending): the whole picture is
  // decoded, the kept area too, and laying it over the source is the caller's.
  std::optional<RawImage> mask;
  // img2img: the result is this many times init_image's size (width and height are the result's):
  // the source's latents are enlarged (bilinear) and denoised at strength, AUTOMATIC1111's
  // hires fix with its "Latent" upscaler.
  int latent_scale = 1;
  // Merged into the model for this generation (and kept merged while the next asks for the same).
  std::vector<LoraRequest> loras;
};

struct StepProgress {
  int step = 0;      // steps done
  int steps = 0;     // steps in all
  RawImage preview;  // the current estimate, one pixel per latent pixel
};

class DiffusionModel {
 public:
  // Loads the weights (seconds to a minute for full-size models). Throws Error(model_error).
  DiffusionModel(const ModelFolder& folder, const EngineOptions& options);
  ~DiffusionModel();
  DiffusionModel(const DiffusionModel&) = delete;
  DiffusionModel& operator=(const DiffusionModel&) = delete;

  // One image. on_step runs after every step on the calling thread; canceled is polled before
  // each step and between the stages (then Error(canceled)). Throws Error(invalid_argument) for
  // a size or step count the model cannot make or a LoRA that does not fit it, and
  // Error(model_error) for a LoRA file that cannot be read. Thread-safe: generations of one model
  // run one at a time (LoRAs are merged into its weights).
  RawImage generate(const ImageRequest& request,
                    const std::function<void(const StepProgress&)>& on_step,
                    const std::function<bool()>& canceled) const;

  std::size_t weight_bytes() const;
  const ModelFolder& folder() const;

 private:
  std::unique_ptr<StableDiffusion> model_;
  mutable std::mutex mutex_;  // one generation at a time
  // LoRA files read so far, by path: asking for one again does not read it again.
  mutable std::map<std::string, std::shared_ptr<const Lora>> loras_;
};

}  // namespace rendermart::diffusion
