#pragma once

// UNet2DConditionModel (diffusers) for Stable Diffusion 1.x / 2.x and SDXL: sinusoidal timestep
// embedding (SDXL: plus the embedding of the pooled text and the size conditioning), down blocks of
// resnets and cross-attention transformers, a mid block, up blocks that take the skip connections,
// and the output convolution. Activations stay channels-last in the compute dtype from conv_in to
// conv_out.

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "diffusion/layers.hpp"
#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

// What an SDXL UNet (addition_embed_type text_time) takes besides the text's hidden states.
struct TextTimeConditions {
  at::Tensor text_embeds;  // [B, projection_dim]: text_encoder_2's projected pooled state
  at::Tensor time_ids;     // [B, 6]: original size, crop top-left, target size (add_time_ids)
};

class UNet {
 public:
  UNet(const UNetConfig& config, WeightSource& weights, at::ScalarType dtype);

  // sample: float32 [B, in, h, w]; timesteps: [B] (any dtype; fractional values are fine);
  // context: [B, N, cross_attention_dim]; guidance_embedding: [B, time_cond_proj_dim] for models
  // that have one (else undefined); added: SDXL's conditions (required for a text_time UNet).
  // Returns float32 [B, out, h, w]. Thread-safe.
  at::Tensor forward(const at::Tensor& sample, const at::Tensor& timesteps,
                     const at::Tensor& context, const at::Tensor& guidance_embedding = at::Tensor(),
                     const TextTimeConditions& added = {}) const;
  // SDXL's aug_emb: add_embedding(cat(text_embeds, add_time_proj(time_ids))), [B, time_embed_dim]
  // in the compute dtype, added to the timestep embedding.
  at::Tensor text_time_embedding(const TextTimeConditions& added) const;

  const UNetConfig& config() const { return config_; }

 private:
  struct Attention {
    Linear to_q, to_k, to_v, to_out;
    int heads = 8;
    at::Tensor operator()(const at::Tensor& x, const at::Tensor& context) const;
  };
  struct TransformerBlock {
    LayerNorm norm1, norm2, norm3;
    Attention attn1, attn2;
    Linear ff_proj, ff_out;  // GEGLU: ff_proj makes 2 x inner, half of it gates the other half
  };
  struct Transformer {
    GroupNorm norm;
    Linear proj_in, proj_out;  // Linear or 1x1 convolution, applied to tokens either way
    std::vector<TransformerBlock> blocks;
    at::Tensor operator()(const at::Tensor& x, const at::Tensor& context) const;
  };
  struct Block {
    std::vector<ResnetBlock> resnets;
    std::vector<Transformer> attentions;  // empty, or one per resnet
    std::optional<Conv2d> downsample;
    std::optional<Upsample> upsample;
  };

  Transformer load_transformer(const Loader& loader, int channels, int heads, int layers) const;
  // Resnet i of a block (and its transformer, in cross-attention blocks).
  void load_layer(Block& block, const Loader& loader, const UNetBlockConfig& spec, int i,
                  int in_channels) const;
  at::Tensor time_embedding(const at::Tensor& timesteps, const at::Tensor& guidance) const;
  // Packs the convolutions that run at a quarter of the latent's resolution or less (see
  // Conv2d::pack).
  void pack_deep_convolutions();

  UNetConfig config_;
  at::ScalarType dtype_;
  Linear time_linear_1_, time_linear_2_;
  std::optional<Linear> time_cond_proj_;
  std::optional<Linear> add_linear_1_, add_linear_2_;  // SDXL's add_embedding
  Conv2d conv_in_;
  std::vector<Block> down_;
  Block mid_;
  std::vector<Block> up_;
  GroupNorm norm_out_;
  Conv2d conv_out_;
};

// diffusers' get_timestep_embedding of (possibly fractional) values: [N, dim] float32.
at::Tensor timestep_embedding(const at::Tensor& timesteps, int dim, bool flip_sin_to_cos,
                              double shift);
// SDXL's add_time_proj of time_ids [B, 6]: each value's sinusoidal embedding of `dim`, one row
// of 6 x dim per sample, float32.
at::Tensor size_embedding(const at::Tensor& time_ids, int dim, bool flip_sin_to_cos, double shift);

// The guidance-scale embedding of LCM-distilled UNets (w = guidance_scale - 1), [B, dim] float32.
at::Tensor guidance_scale_embedding(const at::Tensor& w, int dim);

}  // namespace rendermart::diffusion
