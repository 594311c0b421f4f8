#include "diffusion/stable_diffusion.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "diffusion/caching_allocator.hpp"

namespace rendermart::diffusion {
namespace {

constexpr int kTokens = 77;  // CLIP's context length, which SD 1.x / 2.x and SDXL were trained with

// Chunks as long as the encoder's positions allow: bos, 75 tokens and eos for every real model.
ChunkRules chunk_rules(const PromptEncoder& encoder) {
  ChunkRules rules;
  rules.tokens_per_chunk = std::min(kTokens, encoder.encoder->config().max_positions) - 2;
  return rules;
}

// The name LoRA files give a component (diffusers' name for it); none for the VAE, which they
// do not adapt.
const char* lora_component(CheckpointComponent component) {
  switch (component) {
    case CheckpointComponent::text_encoder: return "text_encoder";
    case CheckpointComponent::text_encoder_2: return "text_encoder_2";
    case CheckpointComponent::unet: return "unet";
    case CheckpointComponent::vae: return nullptr;
  }
  return nullptr;
}

}  // namespace

at::Generator noise_generator(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

StableDiffusion::StableDiffusion(const ModelFolder& folder, at::ScalarType dtype, bool img2img,
                                 WeightSource* weights)
    : folder_(folder), dtype_(dtype), loras_(folder.unet) {
  // What loading frees is never cached (caching_allocator.hpp): an SDXL model in bfloat16 peaked
  // at 1.33x its weights, its float32 reads held in the cache at the end of the load.
  const UncachedScope loading;
  const auto checkpoint =
      folder.checkpoint ? std::make_shared<SafetensorsFile>(folder.path) : nullptr;
  const CheckpointConfigs configs{folder.text_encoder,
                                  folder.unet,
                                  folder.vae,
                                  folder.scheduler,
                                  !folder.text_encoder.quick_gelu,
                                  folder.text_encoder_2};
  // A component's weights: the given source, the checkpoint, or the component's folder.
  const auto load = [&](const std::string& component_folder, const std::string& stem,
                        CheckpointComponent component, const auto& make) {
    const auto measured = [&](WeightSource& source) {
      const auto before = source.loaded_bytes();
      auto made = make(source);
      weight_bytes_ += source.loaded_bytes() - before;
      // What LoRAs merge into: the component's Linear layers (lora.hpp).
      if (const auto name = lora_component(component)) {
        loras_.add_component(name, source.linear_weights());
      }
      source.linear_weights().clear();
      return made;
    };
    if (weights) return measured(*weights);
    if (checkpoint && component_folder.empty()) {
      CheckpointWeights source(checkpoint, component, configs);
      return measured(source);
    }
    SafetensorsWeights source({find_weight_file(component_folder, stem)});
    return measured(source);
  };
  const auto part = [&](const std::string& component_folder) {
    return folder.checkpoint ? std::string() : component_folder;
  };
  const auto text_encoder = [&](const TextEncoderConfig& config, const std::string& path,
                                CheckpointComponent component) {
    return load(part(path), "model", component,
                [&](WeightSource& w) { return std::make_unique<TextEncoder>(config, w, dtype); });
  };
  if (folder.sdxl()) {
    // SDXL conditions on the penultimate states of both encoders, each with its own tokenizer.
    // A checkpoint ships no tokenizers: CLIP's, and OpenCLIP's that pads with "!" (as SDXL's
    // tokenizer_2/ does), from the vocabulary carried in the binary.
    encoders_.push_back({folder.checkpoint ? ClipTokenizer::builtin(ClipTokenizer::Variant::clip)
                                           : ClipTokenizer(folder.tokenizer_path()),
                         text_encoder(folder.text_encoder, folder.text_encoder_path(),
                                      CheckpointComponent::text_encoder),
                         HiddenState::penultimate});
    encoders_.push_back({folder.checkpoint
                             ? ClipTokenizer::builtin(ClipTokenizer::Variant::open_clip)
                             : ClipTokenizer(folder.tokenizer_2_path()),
                         text_encoder(*folder.text_encoder_2, folder.text_encoder_2_path(),
                                      CheckpointComponent::text_encoder_2),
                         HiddenState::penultimate});
  } else {
    auto tokenizer = folder.checkpoint
                         ? ClipTokenizer::builtin(folder.text_encoder.quick_gelu
                                                      ? ClipTokenizer::Variant::clip
                                                      : ClipTokenizer::Variant::open_clip)
                         : ClipTokenizer(folder.tokenizer_path());
    encoders_.push_back({std::move(tokenizer),
                         text_encoder(folder.text_encoder, folder.text_encoder_path(),
                                      CheckpointComponent::text_encoder),
                         HiddenState::last});
  }
  unet_ = load(part(folder.unet_path()), "diffusion_pytorch_model", CheckpointComponent::unet,
               [&](WeightSource& w) { return std::make_unique<UNet>(folder.unet, w, dtype); });
  // force_upcast marks a VAE whose activations overflow float16 (SDXL's reach beyond 65504), and
  // StableDiffusionXLPipeline then decodes in float32. bfloat16 has float32's range, but with 8
  // bits of mantissa those large activations lose what the image's fine detail is made of: the
  // engine decodes such a VAE in float32 as the reference does.
  const auto vae_dtype = folder.sdxl() && folder.vae.force_upcast ? at::kFloat : dtype;
  vae_ = load(
      part(folder.vae_path()), "diffusion_pytorch_model", CheckpointComponent::vae,
      [&](WeightSource& w) { return std::make_unique<Vae>(folder.vae, w, vae_dtype, img2img); });
  if (folder.taesd) {
    // TAESD is always a folder of its own, beside a checkpoint too.
    taesd_ = load(
        folder.taesd_path, "diffusion_pytorch_model", CheckpointComponent::vae,
        [&](WeightSource& w) { return std::make_unique<TaesdDecoder>(*folder.taesd, w, dtype); });
  }
}

PromptEmbedding encode_text(const PromptEncoder& encoder, const std::string& prompt,
                            std::size_t min_chunks) {
  const auto rules = chunk_rules(encoder);
  auto chunks = prompt_chunks(prompt, encoder.tokenizer, rules);
  if (chunks.size() < min_chunks) chunks.resize(min_chunks, empty_chunk(encoder.tokenizer, rules));
  const bool penultimate = encoder.state == HiddenState::penultimate;
  return encode_chunks(chunks, [&](const at::Tensor& ids) {
    auto out = encoder.encoder->forward(ids, penultimate);
    // hidden_states holds the embeddings, then each layer's output: the penultimate layer's is
    // the second to last.
    return PromptEmbedding{
        penultimate ? out.hidden_states.at(out.hidden_states.size() - 2) : out.last_hidden_state,
        out.text_embeds};
  });
}

at::Tensor add_time_ids(const SizeConditioning& s) {
  return at::tensor({static_cast<float>(s.original_height), static_cast<float>(s.original_width),
                     static_cast<float>(s.crop_top), static_cast<float>(s.crop_left),
                     static_cast<float>(s.target_height), static_cast<float>(s.target_width)},
                    at::TensorOptions().dtype(at::kFloat))
      .unsqueeze(0);
}

PromptEmbedding StableDiffusion::encode_prompt(const std::string& prompt,
                                               std::size_t min_chunks) const {
  // Every encoder makes as many chunks, so that their states stand side by side.
  min_chunks = std::max(min_chunks, prompt_chunk_count(prompt));
  std::vector<at::Tensor> hidden;
  at::Tensor pooled;
  for (const auto& encoder : encoders_) {
    auto embedding = encode_text(encoder, prompt, min_chunks);
    hidden.push_back(std::move(embedding.hidden));
    if (embedding.pooled.defined()) pooled = std::move(embedding.pooled);
  }
  return {hidden.size() == 1 ? hidden.front() : at::cat(hidden, -1), pooled};
}

std::size_t StableDiffusion::prompt_chunk_count(const std::string& prompt) const {
  std::size_t count = 1;
  for (const auto& encoder : encoders_) {
    count = std::max(count, prompt_chunks(prompt, encoder.tokenizer, chunk_rules(encoder)).size());
  }
  return count;
}

Conditioning StableDiffusion::condition(const std::string& prompt, const std::string& negative,
                                        bool guidance, int height, int width) const {
  const auto chunks = guidance ? std::max(prompt_chunk_count(prompt), prompt_chunk_count(negative))
                               : std::size_t{1};
  const auto cond = encode_prompt(prompt, chunks);
  Conditioning out;
  if (folder_.sdxl()) {
    out.added.time_ids = add_time_ids({height, width, 0, 0, height, width});
    out.added.text_embeds = cond.pooled;
  }
  if (!guidance) {
    out.context = cond.hidden;
    return out;
  }
  const auto uncond =
      negative.empty() && folder_.force_zeros_for_empty_prompt
          ? PromptEmbedding{at::zeros_like(cond.hidden), at::zeros_like(cond.pooled)}
          : encode_prompt(negative, chunks);
  out.context = at::cat({uncond.hidden, cond.hidden}, 0);
  if (folder_.sdxl()) {
    out.added.text_embeds = at::cat({uncond.pooled, cond.pooled}, 0);
    out.added.time_ids = out.added.time_ids.repeat({2, 1});
  }
  return out;
}

StartLatents StableDiffusion::start(const SourceImage* source, double strength, int height,
                                    int width, const Scheduler& scheduler,
                                    at::Generator& generator) const {
  const int factor = folder_.vae_scale_factor();
  const std::vector<int64_t> shape{1, folder_.vae.latent_channels, height / factor, width / factor};
  const auto draw = [&] {
    return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat));
  };
  if (!source) return {draw() * scheduler.init_noise_sigma(), std::nullopt};
  const auto pixels = source->image * 2 - 1;
  const bool inpainting = source->mask.defined();
  // diffusers' inpainting starts from the noise alone at strength 1, and then encodes the source
  // only for an ordinary UNet, which blends it back after every step.
  const bool from_noise = inpainting && strength >= 1;
  at::Tensor image_latents;
  if (!from_noise || !folder_.inpainting()) {
    image_latents = encode(pixels, generator);
    if (source->latent_scale != 1) {
      image_latents = at::upsample_bilinear2d(image_latents, {shape[2], shape[3]}, false);
    }
  }
  const auto noise = draw();
  StartLatents out{from_noise ? noise * scheduler.init_noise_sigma()
                              : scheduler.add_noise(image_latents, noise, scheduler.first_step()),
                   std::nullopt};
  if (!inpainting) return out;
  // VaeImageProcessor's binarization, then F.interpolate's default (nearest) to the latents' size.
  const auto mask = source->mask.ge(0.5).to(at::kFloat);
  Inpainting in;
  in.mask = at::upsample_nearest2d(mask, {shape[2], shape[3]});
  if (folder_.inpainting()) {
    in.masked_image_latents = encode(pixels * mask.lt(0.5), generator);
  } else {
    // diffusers encodes the masked source for every UNet; an ordinary one does not use it, but
    // its sample's draw comes before the schedulers' own.
    draw();
    in.image_latents = image_latents;
    in.noise = noise;
  }
  out.inpainting = std::move(in);
  return out;
}

at::Tensor StableDiffusion::denoise(at::Tensor latents, const Conditioning& conditioning,
                                    double guidance_scale, Scheduler& scheduler,
                                    at::Generator& noise, const DenoiseCallbacks& callbacks,
                                    const Inpainting* inpainting) const {
  if (folder_.inpainting() && !inpainting) {
    throw invalid_argument("task",
                           "an inpainting model only inpaints: it needs a source and a mask");
  }
  const bool extra_channels = inpainting && folder_.inpainting();
  const bool blending = inpainting && !folder_.inpainting();
  const bool guidance = guidance_on(guidance_scale);
  // LCM-distilled UNets take the guidance scale as an embedding (and then run without CFG).
  at::Tensor guidance_embedding;
  if (folder_.unet.time_cond_proj_dim > 0) {
    guidance_embedding = guidance_scale_embedding(
        at::full({latents.size(0)}, guidance_scale - 1, at::TensorOptions().dtype(at::kFloat)),
        folder_.unet.time_cond_proj_dim);
  }
  const auto& timesteps = scheduler.timesteps();
  for (int i = scheduler.first_step(); i < static_cast<int>(timesteps.size()); ++i) {
    if (callbacks.canceled && callbacks.canceled()) {
      throw Error(ErrorCode::canceled, "generation canceled");
    }
    StepRecord record;
    record.step = i;
    record.timestep = timesteps[static_cast<std::size_t>(i)];
    record.unet_in = scheduler.scale_model_input(latents, i);
    if (extra_channels) {
      record.unet_in =
          at::cat({record.unet_in, inpainting->mask, inpainting->masked_image_latents}, 1);
    }
    const auto input = guidance ? at::cat({record.unet_in, record.unet_in}, 0) : record.unet_in;
    const auto t =
        at::full({input.size(0)}, record.timestep, at::TensorOptions().dtype(at::kFloat));
    record.unet_out =
        unet_->forward(input, t, conditioning.context, guidance_embedding, conditioning.added);
    if (guidance) {
      const auto uncond = record.unet_out.narrow(0, 0, 1);
      const auto cond = record.unet_out.narrow(0, 1, 1);
      record.guided = uncond + (cond - uncond) * guidance_scale;
    } else {
      record.guided = record.unet_out;
    }
    auto step = scheduler.step(record.guided, i, latents, noise);
    latents = step.prev_sample;
    record.latents_out = latents;
    if (blending) {
      // The kept area is the source's, noised to the next step's level (clean after the last).
      const auto next = static_cast<std::size_t>(i) + 1;
      const auto kept = next < timesteps.size()
                            ? scheduler.add_noise(inpainting->image_latents, inpainting->noise,
                                                  static_cast<int>(next))
                            : inpainting->image_latents;
      latents = (1 - inpainting->mask) * kept + inpainting->mask * latents;
      record.latents_blended = latents;
    }
    record.pred_original = step.pred_original;
    if (callbacks.on_step) callbacks.on_step(record);
  }
  return latents;
}

at::Tensor StableDiffusion::decode(const at::Tensor& latents, bool taesd) const {
  const auto image = taesd && taesd_ ? taesd_->decode(latents)
                                     : vae_->decode(latents / folder_.vae.scaling_factor);
  return (image / 2 + 0.5).clamp(0, 1);
}

at::Tensor StableDiffusion::encode(const at::Tensor& pixels, at::Generator& generator) const {
  if (!vae_->has_encoder()) {
    throw Error(ErrorCode::internal, "the model was loaded without its VAE encoder");
  }
  const auto latent = vae_->encode(pixels);
  const auto eps = at::randn(latent.mean.sizes(), generator, at::TensorOptions().dtype(at::kFloat));
  return (latent.mean + at::exp(latent.logvar * 0.5) * eps) * folder_.vae.scaling_factor;
}

}  // namespace rendermart::diffusion
