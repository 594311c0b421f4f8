#include "diffusion/stable_diffusion.hpp"

#include "core/error.hpp"
#include "diffusion/caching_allocator.hpp"

namespace rendermart::diffusion {
namespace {

constexpr int kTokens = 77;  // CLIP's context length, which SD 1.x / 2.x were trained with

}  // namespace

at::Generator noise_generator(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

StableDiffusion::StableDiffusion(const ModelFolder& folder, at::ScalarType dtype, bool img2img,
                                 WeightSource* weights)
    : folder_(folder),
      dtype_(dtype),
      tokenizer_(folder.checkpoint ? ClipTokenizer::builtin(folder.text_encoder.quick_gelu
                                                                ? ClipTokenizer::Variant::clip
                                                                : ClipTokenizer::Variant::open_clip)
                                   : ClipTokenizer(folder.tokenizer_path())) {
  const auto checkpoint =
      folder.checkpoint ? std::make_shared<SafetensorsFile>(folder.path) : nullptr;
  const CheckpointConfigs configs{folder.text_encoder, folder.unet, folder.vae, folder.scheduler,
                                  !folder.text_encoder.quick_gelu};
  // A component's weights: the given source, the checkpoint, or the component's folder.
  const auto load = [&](const std::string& component_folder, const std::string& stem,
                        CheckpointComponent component, const auto& make) {
    const auto measured = [&](WeightSource& source) {
      const auto before = source.loaded_bytes();
      auto made = make(source);
      weight_bytes_ += source.loaded_bytes() - before;
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
  text_encoder_ = load(part(folder.text_encoder_path()), "model", CheckpointComponent::text_encoder,
                       [&](WeightSource& w) {
                         return std::make_unique<TextEncoder>(folder.text_encoder, w, dtype);
                       });
  unet_ = load(part(folder.unet_path()), "diffusion_pytorch_model", CheckpointComponent::unet,
               [&](WeightSource& w) { return std::make_unique<UNet>(folder.unet, w, dtype); });
  vae_ =
      load(part(folder.vae_path()), "diffusion_pytorch_model", CheckpointComponent::vae,
           [&](WeightSource& w) { return std::make_unique<Vae>(folder.vae, w, dtype, img2img); });
  if (folder.taesd) {
    // TAESD is always a folder of its own, beside a checkpoint too.
    taesd_ = load(
        folder.taesd_path, "diffusion_pytorch_model", CheckpointComponent::vae,
        [&](WeightSource& w) { return std::make_unique<TaesdDecoder>(*folder.taesd, w, dtype); });
  }
  // What loading freed (weights before packing or conversion) has sizes no generation asks for:
  // cached, it would stay resident beside the weights.
  release_cached_memory();
}

at::Tensor StableDiffusion::encode_prompt(const std::string& prompt) const {
  const auto ids =
      tokenizer_.encode_padded(prompt, std::min(kTokens, folder_.text_encoder.max_positions));
  const auto tensor = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
  return text_encoder_->forward(tensor).last_hidden_state;
}

at::Tensor StableDiffusion::context(const std::string& prompt, const std::string& negative,
                                    bool guidance) const {
  const auto cond = encode_prompt(prompt);
  if (!guidance) return cond;
  return at::cat({encode_prompt(negative), cond}, 0);
}

at::Tensor StableDiffusion::denoise(at::Tensor latents, const at::Tensor& context,
                                    double guidance_scale, Scheduler& scheduler,
                                    at::Generator& noise, const DenoiseCallbacks& callbacks) const {
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
    const auto input = guidance ? at::cat({record.unet_in, record.unet_in}, 0) : record.unet_in;
    const auto t =
        at::full({input.size(0)}, record.timestep, at::TensorOptions().dtype(at::kFloat));
    record.unet_out = unet_->forward(input, t, context, guidance_embedding);
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

at::Tensor StableDiffusion::encode(const at::Tensor& image) const {
  if (!vae_->has_encoder()) {
    throw Error(ErrorCode::internal, "the model was loaded without its VAE encoder");
  }
  return vae_->encode(image * 2 - 1).mean * folder_.vae.scaling_factor;
}

}  // namespace rendermart::diffusion
