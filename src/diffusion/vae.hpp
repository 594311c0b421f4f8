#pragma once

// AutoencoderKL (diffusers): the decoder turns latents into images, the encoder images into the
// latent distribution (for img2img). Neither applies the scaling factor; the pipeline does.

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "diffusion/layers.hpp"
#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

class Vae {
 public:
  // encoder: also load the encoder (img2img); the decoder is always loaded.
  Vae(const VaeConfig& config, WeightSource& weights, at::ScalarType dtype, bool encoder);

  // latents: float32 [B, latent, h, w] -> image float32 [B, out, h*f, w*f], roughly in [-1, 1].
  at::Tensor decode(const at::Tensor& latents) const;
  struct Distribution {
    at::Tensor mean;
    at::Tensor logvar;  // clamped to [-30, 20]
  };
  // image: float32 [B, in, H, W] in [-1, 1], H and W multiples of the scale factor.
  Distribution encode(const at::Tensor& image) const;
  bool has_encoder() const { return encoder_.has_value(); }

  const VaeConfig& config() const { return config_; }

 private:
  // The mid block's single-head self-attention over all pixels.
  struct SpatialAttention {
    GroupNorm norm;
    Linear to_q, to_k, to_v, to_out;
    at::Tensor operator()(const at::Tensor& x) const;
  };
  struct MidBlock {
    ResnetBlock first;
    std::optional<SpatialAttention> attention;
    ResnetBlock second;
    at::Tensor operator()(const at::Tensor& x) const;
  };
  struct Encoder {
    Conv2d conv_in;
    std::vector<std::vector<ResnetBlock>> blocks;
    std::vector<std::optional<Conv2d>> downsamplers;
    MidBlock mid;
    GroupNorm norm_out;
    Conv2d conv_out;
    std::optional<Conv2d> quant_conv;
  };

  MidBlock load_mid(const Loader& loader) const;

  VaeConfig config_;
  at::ScalarType dtype_;
  std::optional<Conv2d> post_quant_conv_;
  Conv2d conv_in_;
  MidBlock mid_;
  std::vector<std::vector<ResnetBlock>> up_blocks_;
  std::vector<std::optional<Upsample>> upsamplers_;
  GroupNorm norm_out_;
  Conv2d conv_out_;
  std::optional<Encoder> encoder_;
};

}  // namespace rendermart::diffusion
