#pragma once

// The decoder of TAESD (AutoencoderTiny in diffusers): a small convolutional decoder that turns
// Stable Diffusion latents into images about 18 times faster than the AutoencoderKL decoder, at
// lower quality. It takes the latents as the UNet makes them (no scaling factor).

#include <ATen/ATen.h>

#include <vector>

#include "diffusion/layers.hpp"
#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

class TaesdDecoder {
 public:
  TaesdDecoder(const TaesdConfig& config, WeightSource& weights, at::ScalarType dtype);

  // latents: float32 [B, latent, h, w] -> image float32 [B, out, h*8, w*8] in about [-1, 1].
  at::Tensor decode(const at::Tensor& latents) const;

 private:
  struct Block {
    Conv2d conv1, conv2, conv3;
    std::optional<Conv2d> skip;
  };
  // One entry of the decoder's layer list, in order.
  struct Layer {
    enum class Kind { conv, relu, block, upsample } kind;
    Conv2d conv;
    Block block;
  };

  at::ScalarType dtype_;
  int upsampling_factor_ = 2;
  std::vector<Layer> layers_;
};

}  // namespace rendermart::diffusion
