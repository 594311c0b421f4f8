#pragma once

// The building blocks that the UNet, the VAE and the text encoder share: weights loaded once in
// the compute dtype (convolution weights channels-last, norm affine parameters float32), and
// forward functions that keep activations channels-last and work in place where they can.

#include <ATen/ATen.h>

#include <optional>
#include <string>

#include "diffusion/weights.hpp"

namespace rendermart::diffusion {

// Reads one module's weights: names are relative to `prefix`.
struct Loader {
  WeightSource& source;
  at::ScalarType dtype;
  std::string prefix;

  Loader operator/(const std::string& child) const { return {source, dtype, prefix + child + "."}; }
  at::Tensor get(const std::string& name, at::IntArrayRef shape) const;
  at::Tensor get_float(const std::string& name, at::IntArrayRef shape) const;
  bool has(const std::string& name) const { return source.has(prefix + name); }
};

struct Linear {
  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out] or undefined
  static Linear load(const Loader& loader, int in, int out, bool bias = true);
  // A 1x1 convolution's weights as a Linear over channels (for channels-last activations).
  static Linear load_conv1x1(const Loader& loader, int in, int out);
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

struct Conv2d {
  at::Tensor weight;  // [out, in, k, k], channels-last; undefined once packed
  at::Tensor packed;  // the weight in oneDNN's blocked layout, after pack()
  at::Tensor bias;
  int stride = 1;
  int padding = 1;
  static Conv2d load(const Loader& loader, int in, int out, int kernel, int stride = 1,
                     bool bias = true);
  // Converts the weight to oneDNN's blocked layout once (where libtorch has oneDNN). For small
  // feature maps with many channels (a UNet's deep levels) oneDNN otherwise reorders the whole
  // weight on every call, which costs up to 2.5x the convolution itself.
  void pack();
  at::Tensor operator()(const at::Tensor& x) const;
};

struct GroupNorm {
  at::Tensor weight;  // float32
  at::Tensor bias;
  int groups = 32;
  double eps = 1e-5;
  static GroupNorm load(const Loader& loader, int channels, int groups, double eps);
  at::Tensor operator()(const at::Tensor& x, bool silu) const;
};

struct LayerNorm {
  at::Tensor weight;  // float32, like GroupNorm's
  at::Tensor bias;
  double eps = 1e-5;
  static LayerNorm load(const Loader& loader, int channels, double eps);
  at::Tensor operator()(const at::Tensor& x) const;
};

// ResnetBlock2D of diffusers: GroupNorm+SiLU, conv, (+ time embedding), GroupNorm+SiLU, conv,
// plus the input (through a 1x1 conv when the channel count changes).
struct ResnetBlock {
  GroupNorm norm1;
  Conv2d conv1;
  std::optional<Linear> time_emb_proj;
  GroupNorm norm2;
  Conv2d conv2;
  std::optional<Conv2d> conv_shortcut;
  double output_scale_factor = 1;
  // temb_channels 0: no time embedding (the VAE).
  static ResnetBlock load(const Loader& loader, int in, int out, int temb_channels, int groups,
                          double eps);
  // silu_temb: SiLU(time embedding), computed once per forward by the caller; undefined without.
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& silu_temb) const;
  void pack();  // packs every convolution
};

// Nearest-neighbour 2x upsampling (or to `size`), then a 3x3 convolution.
struct Upsample {
  Conv2d conv;
  static Upsample load(const Loader& loader, int channels);
  at::Tensor operator()(const at::Tensor& x, std::optional<std::pair<int64_t, int64_t>> size) const;
};

// Nearest-neighbour resampling to height x width, channels-last in x's dtype.
at::Tensor upsample_nearest(const at::Tensor& x, int64_t height, int64_t width);

// An input in the engine's layout: `dtype`, channels-last.
at::Tensor to_engine_layout(const at::Tensor& x, at::ScalarType dtype);
// [B, C, H, W] (channels-last) <-> [B, H*W, C] without copies.
at::Tensor to_tokens(const at::Tensor& x);
at::Tensor from_tokens(const at::Tensor& tokens, int64_t height, int64_t width);

}  // namespace rendermart::diffusion
