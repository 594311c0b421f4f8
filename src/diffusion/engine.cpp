#include "diffusion/engine.hpp"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "core/error.hpp"
#include "diffusion/kernels/kernel_isa.hpp"
#include "diffusion/latent_preview.hpp"
#include "diffusion/stable_diffusion.hpp"

namespace rendermart::diffusion {
namespace {

void check_canceled(const std::function<bool()>& canceled) {
  if (canceled && canceled()) throw Error(ErrorCode::canceled, "generation canceled");
}

// RGB bytes -> float32 [1, 3, height, width] in [0, 1], resized (bilinear) when needed.
at::Tensor image_tensor(const RawImage& image, int width, int height) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw invalid_argument("image", "the input image is empty or its pixels do not match its size");
  }
  auto pixels =
      at::from_blob(const_cast<std::uint8_t*>(image.rgb.data()), {1, image.height, image.width, 3},
                    at::TensorOptions().dtype(at::kByte))
          .permute({0, 3, 1, 2})
          .to(at::kFloat)
          .div(255.0);
  if (image.width != width || image.height != height) {
    pixels = at::upsample_bilinear2d(pixels, {height, width}, false);
  }
  return pixels.clamp(0, 1).contiguous();
}

// A mask's brightness (the mean of its channels) -> float32 [1, 1, height, width] in [0, 1],
// resized (bilinear) when needed.
at::Tensor mask_tensor(const RawImage& mask, int width, int height) {
  return image_tensor(mask, width, height).mean(1, true);
}

RawImage to_raw_image(const at::Tensor& image) {
  // [1, 3, H, W] in [0, 1] -> RGB bytes, rounded as diffusers' numpy_to_pil does (x * 255, round).
  const auto bytes =
      image[0].permute({1, 2, 0}).mul(255).round().clamp(0, 255).to(at::kByte).contiguous();
  RawImage out{static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), {}};
  out.rgb.assign(bytes.data_ptr<std::uint8_t>(), bytes.data_ptr<std::uint8_t>() + bytes.numel());
  return out;
}

}  // namespace

bool bfloat16_supported() { return kernel_isa() >= KernelIsa::avx512_bf16; }

Error bfloat16_unsupported() {
  return invalid_argument("diffusion_dtype",
                          "bfloat16 needs a CPU with AVX-512 BF16, and this engine runs " +
                              std::string(kernel_isa_name(kernel_isa())) +
                              ": set RENDERMART_DIFFUSION_DTYPE to auto or float32");
}

DiffusionModel::DiffusionModel(const ModelFolder& folder, const EngineOptions& options) {
  if (options.bfloat16 && !bfloat16_supported()) throw bfloat16_unsupported();
  c10::InferenceMode guard;
  model_ = std::make_unique<StableDiffusion>(folder, options.bfloat16 ? at::kBFloat16 : at::kFloat,
                                             options.img2img);
}

DiffusionModel::~DiffusionModel() = default;

std::size_t DiffusionModel::weight_bytes() const { return model_->weight_bytes(); }

const ModelFolder& DiffusionModel::folder() const { return model_->folder(); }

RawImage DiffusionModel::generate(const ImageRequest& request,
                                  const std::function<void(const StepProgress&)>& on_step,
                                  const std::function<bool()>& canceled) const {
  // OpenMP thread counts are per calling thread: give this one (a worker) the engine's count.
  at::init_num_threads();
  c10::InferenceMode guard;
  const std::lock_guard lock(mutex_);
  std::vector<LoraUse> loras;
  for (const auto& lora : request.loras) {
    auto& file = loras_[lora.path];
    if (!file) file = std::make_shared<const Lora>(lora.path);
    loras.push_back({file, lora.weight});
  }
  model_->apply_loras(loras);
  const auto& folder = model_->folder();
  const int factor = folder.vae_scale_factor();
  if (request.width < factor || request.height < factor || request.width % factor != 0 ||
      request.height % factor != 0) {
    throw invalid_argument(
        request.width % factor != 0 || request.width < factor ? "width" : "height",
        "width and height must be positive multiples of " + std::to_string(factor));
  }
  if (request.init_image && !(request.strength > 0 && request.strength <= 1)) {
    throw invalid_argument("strength", "strength must be in (0, 1]");
  }
  if (request.mask && !request.init_image) {
    throw invalid_argument("mask_image_id", "a mask needs the picture it masks");
  }
  if (folder.inpainting() && !request.mask) {
    throw invalid_argument("task", "model " + folder.id +
                                       " is an inpainting model: it needs a source image and a "
                                       "mask (inpaint or outpaint)");
  }
  const int scale = request.latent_scale;
  if (scale < 1 || (scale > 1 && (!request.init_image || request.mask)) ||
      request.width % (factor * scale) != 0 || request.height % (factor * scale) != 0) {
    throw invalid_argument("width",
                           "an enlargement in latent space needs a source image and a "
                           "size that is a multiple of " +
                               std::to_string(factor * scale));
  }
  const double strength = request.init_image ? request.strength : 1.0;
  auto scheduler = make_scheduler(request.scheduler, folder.scheduler, request.steps, strength);
  // img2img skips the noisiest steps (diffusers' get_timesteps); LCM did so in its schedule.
  if (request.init_image && request.scheduler != SchedulerKind::lcm) {
    const int steps = static_cast<int>(scheduler->timesteps().size());
    const int kept = std::min(static_cast<int>(steps * strength), steps);
    if (kept < 1) {
      throw invalid_argument("strength", "strength " + std::to_string(strength) + " with " +
                                             std::to_string(steps) +
                                             " steps leaves no step to run");
    }
    scheduler->begin_at(steps - kept);
  }

  const bool guidance = model_->guidance_on(request.guidance_scale);
  const auto conditioning = model_->condition(request.prompt, request.negative_prompt, guidance,
                                              request.height, request.width);
  check_canceled(canceled);

  std::optional<SourceImage> source;
  if (request.init_image) {
    source = SourceImage{
        image_tensor(*request.init_image, request.width / scale, request.height / scale),
        {},
        scale};
    if (request.mask) source->mask = mask_tensor(*request.mask, request.width, request.height);
  }
  auto generator = noise_generator(request.seed);
  auto start = model_->start(source ? &*source : nullptr, strength, request.height, request.width,
                             *scheduler, generator);
  check_canceled(canceled);

  const int first = scheduler->first_step();
  const int total = static_cast<int>(scheduler->timesteps().size()) - first;
  DenoiseCallbacks callbacks;
  callbacks.canceled = canceled;
  callbacks.on_step = [&](const StepRecord& record) {
    if (on_step) on_step({record.step - first + 1, total, latent_preview(record.pred_original)});
  };
  const auto latents =
      model_->denoise(start.latents, conditioning, request.guidance_scale, *scheduler, generator,
                      callbacks, start.inpainting ? &*start.inpainting : nullptr);
  check_canceled(canceled);
  return to_raw_image(model_->decode(latents, request.taesd));
}

}  // namespace rendermart::diffusion
