#pragma once

// A loaded Stable Diffusion model: tokenizer and text encoder (SDXL: two of each), UNet, VAE (and
// TAESD when present), and the steps of a generation as diffusers' StableDiffusionPipeline and
// StableDiffusionXLPipeline run them. Weights load once and stay in memory; every method but
// apply_loras is const and thread-safe.

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diffusion/clip_tokenizer.hpp"
#include "diffusion/lora.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/prompt_encoding.hpp"
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
  at::Tensor unet_in;      // the scaled latents, one copy
  at::Tensor unet_out;     // [2 or 1, ...]: [uncond, cond] with guidance
  at::Tensor guided;       // the model output handed to the scheduler
  at::Tensor latents_out;  // the scheduler's step
  // Inpainting with a 4-channel UNet: latents_out with the kept area the source's latents, noised
  // to the next step's level (the latents the next step starts from). Undefined otherwise.
  at::Tensor latents_blended;
  at::Tensor pred_original;
};

// Which of a text encoder's hidden states conditions the UNet: the last (after the final
// LayerNorm; SD 1.x / 2.x) or the penultimate layer's output without it (SDXL).
enum class HiddenState { last, penultimate };

// One text encoder with its own tokenizer.
struct PromptEncoder {
  ClipTokenizer tokenizer;
  std::unique_ptr<TextEncoder> encoder;
  HiddenState state = HiddenState::last;
};

// Encodes `prompt` with one tokenizer and text encoder and takes its `state`, with
// AUTOMATIC1111's weights and chunks (prompt_parser.hpp): [1, 77 * chunks, width], at least
// `min_chunks` chunks (the empty prompt's chunk fills up).
PromptEmbedding encode_text(const PromptEncoder& encoder, const std::string& prompt,
                            std::size_t min_chunks = 1);

// SDXL's micro-conditioning (diffusers' _get_add_time_ids), in pixels: float32 [1, 6] =
// original size, crop top-left, target size, each (height, width) / (top, left).
struct SizeConditioning {
  int original_height = 0;
  int original_width = 0;
  int crop_top = 0;
  int crop_left = 0;
  int target_height = 0;
  int target_width = 0;
};
at::Tensor add_time_ids(const SizeConditioning& sizes);

// What the UNet is conditioned on for every step: [uncond, cond] along the batch with guidance,
// else [cond].
struct Conditioning {
  at::Tensor context;        // [B, 77 * chunks, cross_attention_dim]
  TextTimeConditions added;  // SDXL: text_embeds [B, projection_dim], time_ids [B, 6]
};

// Inpainting as diffusers' StableDiffusionInpaintPipeline does it: where the latents are
// repainted, and what of the source an inpainting UNet sees (its extra input channels) or an
// ordinary UNet gets back after every step (latent blending).
struct Inpainting {
  at::Tensor mask;                  // [1, 1, h, w]: 1 repaint, 0 keep
  at::Tensor masked_image_latents;  // inpainting UNets: the source with the repainted area grey
  at::Tensor image_latents;         // ordinary UNets: the source's latents
  at::Tensor noise;                 // ordinary UNets: the initial noise, to noise the source with
};

// What a generation starts from besides the prompt: a source picture (image-to-image), and a
// mask of it (inpainting), at the generation's size.
struct SourceImage {
  at::Tensor image;  // [1, 3, H, W] in [0, 1]
  at::Tensor mask;   // inpainting: [1, 1, H, W] in [0, 1], repainted where >= 0.5; else undefined
  // The source's latents are enlarged this many times (bilinear) before they are noised, and the
  // image is that many times smaller than the generation (AUTOMATIC1111's hires fix with its
  // "Latent" upscaler).
  int latent_scale = 1;
};

// The latents of the first step, and the inpainting that goes with them.
struct StartLatents {
  at::Tensor latents;
  std::optional<Inpainting> inpainting;
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

  // A prompt as the UNet takes it: every text encoder's chosen hidden state side by side
  // ([1, 77 * chunks, cross_attention_dim], at least `min_chunks`) and, for SDXL, text_encoder_2's
  // pooled projection.
  PromptEmbedding encode_prompt(const std::string& prompt, std::size_t min_chunks = 1) const;
  // How many chunks of 77 tokens the prompt takes (the most any of the tokenizers needs).
  std::size_t prompt_chunk_count(const std::string& prompt) const;
  // The conditioning of an image of height x width pixels (SDXL's size conditioning takes
  // diffusers' defaults: original = target = the image's size, no crop). With guidance and an
  // empty negative prompt, an SDXL model whose pipeline forces zeros gets zeros as the negative.
  // With guidance, the prompt and the negative prompt take as many chunks as the longer needs
  // (so that they stack into one batch; AUTOMATIC1111's "pad prompt/negative prompt to be same
  // length").
  Conditioning condition(const std::string& prompt, const std::string& negative, bool guidance,
                         int height, int width) const;
  // The latents a generation of height x width pixels starts from, drawn from `generator` in the
  // order of diffusers' pipelines, so that a seed gives their picture. Text-to-image (no source):
  // noise times the scheduler's initial sigma. Image-to-image: the source's encoding sampled
  // with the first draw, then noised with the second to the scheduler's first step.
  // Inpainting: the same (at strength 1 the noise alone, and an inpainting UNet's source is not
  // encoded then), then the masked source's encoding with the next draw; the mask binarized and
  // taken to the latents' size by nearest neighbour. Needs the VAE encoder for a source.
  StartLatents start(const SourceImage* source, double strength, int height, int width,
                     const Scheduler& scheduler, at::Generator& generator) const;
  // Runs the scheduler's steps from `latents` (already at the first step's noise level). Guidance
  // is on when `guidance_scale` > 1 and the UNet has no guidance embedding. With `inpainting`,
  // an inpainting UNet takes its channels beside the latents, and an ordinary one's latents get
  // the kept area back from the source after every step. Returns the final latents.
  at::Tensor denoise(at::Tensor latents, const Conditioning& conditioning, double guidance_scale,
                     Scheduler& scheduler, at::Generator& noise, const DenoiseCallbacks& callbacks,
                     const Inpainting* inpainting = nullptr) const;
  // Latents (as the UNet makes them) -> image float32 [B, 3, H, W] in [0, 1].
  at::Tensor decode(const at::Tensor& latents, bool taesd) const;
  // Image float32 [B, 3, H, W] in [-1, 1] -> latents: a sample of the VAE's latent distribution
  // (mean + std * a draw of `generator`, as diffusers' latent_dist.sample), scaled. Needs the
  // model loaded for img2img.
  at::Tensor encode(const at::Tensor& pixels, at::Generator& generator) const;

  bool guidance_on(double guidance_scale) const {
    return guidance_scale > 1 && folder_.unet.time_cond_proj_dim == 0;
  }
  const ModelFolder& folder() const { return folder_; }
  // The text encoders in the order their states are concatenated (SDXL: CLIP-L, OpenCLIP bigG).
  const std::vector<PromptEncoder>& prompt_encoders() const { return encoders_; }
  const UNet& unet() const { return *unet_; }
  const Vae& vae() const { return *vae_; }
  bool has_taesd() const { return taesd_ != nullptr; }
  // Merges `loras` into the UNet's and text encoders' weights for the generations that follow,
  // replacing those merged before (lora.hpp: the base model is not read again). Throws
  // Error(invalid_argument) naming a LoRA that does not fit the model. The one method that is
  // not const: never while the model runs.
  void apply_loras(const std::vector<LoraUse>& loras) { loras_.apply(loras); }
  // Bytes of weights held in memory (those mapped from files included).
  std::size_t weight_bytes() const { return weight_bytes_; }

 private:
  ModelFolder folder_;
  at::ScalarType dtype_;
  std::vector<PromptEncoder> encoders_;
  std::unique_ptr<UNet> unet_;
  std::unique_ptr<Vae> vae_;
  std::unique_ptr<TaesdDecoder> taesd_;
  std::size_t weight_bytes_ = 0;
  LoraWeights loras_;
};

// Unit-variance initial noise for `seed`: torch's CPU generator (mt19937) seeded with it, as
// torch.randn(shape, generator=torch.Generator().manual_seed(seed)) draws it, so a seed gives the
// same picture as diffusers on a CPU. The same generator then feeds the ancestral samplers.
at::Generator noise_generator(std::uint64_t seed);

}  // namespace rendermart::diffusion
