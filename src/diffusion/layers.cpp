#include "diffusion/layers.hpp"

#include "diffusion/kernels/group_norm.hpp"
#include "diffusion/kernels/layer_norm.hpp"

namespace rendermart::diffusion {

at::Tensor Loader::get(const std::string& name, at::IntArrayRef shape) const {
  return source.get(prefix + name, shape, dtype);
}

at::Tensor Loader::get_float(const std::string& name, at::IntArrayRef shape) const {
  return source.get(prefix + name, shape, at::kFloat);
}

Linear Linear::load(const Loader& loader, int in, int out, bool bias) {
  Linear linear;
  linear.weight = loader.get("weight", {out, in}).contiguous();
  if (bias) linear.bias = loader.get("bias", {out});
  loader.source.linear_weights()[loader.prefix + "weight"] = linear.weight;
  return linear;
}

Linear Linear::load_conv1x1(const Loader& loader, int in, int out) {
  Linear linear;
  linear.weight = loader.get("weight", {out, in, 1, 1}).reshape({out, in}).contiguous();
  linear.bias = loader.get("bias", {out});
  loader.source.linear_weights()[loader.prefix + "weight"] = linear.weight;
  return linear;
}

Conv2d Conv2d::load(const Loader& loader, int in, int out, int kernel, int stride, bool bias) {
  Conv2d conv;
  conv.weight =
      loader.get("weight", {out, in, kernel, kernel}).contiguous(at::MemoryFormat::ChannelsLast);
  if (bias) conv.bias = loader.get("bias", {out});
  conv.stride = stride;
  conv.padding = kernel / 2;
  return conv;
}

void Conv2d::pack() {
  if (packed.defined() || !at::hasMKLDNN()) return;
  packed = at::mkldnn_reorder_conv2d_weight(weight.contiguous().to_mkldnn(), {padding, padding},
                                            {stride, stride}, {1, 1}, 1);
  weight = at::Tensor();
}

at::Tensor Conv2d::operator()(const at::Tensor& x) const {
  if (!packed.defined()) return at::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
  // With a packed weight oneDNN answers in NCHW; the engine's activations are channels-last.
  return at::mkldnn_convolution(x.contiguous(at::MemoryFormat::ChannelsLast), packed, bias,
                                {padding, padding}, {stride, stride}, {1, 1}, 1)
      .contiguous(at::MemoryFormat::ChannelsLast);
}

GroupNorm GroupNorm::load(const Loader& loader, int channels, int groups, double eps) {
  GroupNorm norm;
  norm.weight = loader.get_float("weight", {channels}).contiguous();
  norm.bias = loader.get_float("bias", {channels}).contiguous();
  norm.groups = groups;
  norm.eps = eps;
  return norm;
}

at::Tensor GroupNorm::operator()(const at::Tensor& x, bool silu) const {
  return group_norm(x, groups, weight, bias, eps, silu);
}

LayerNorm LayerNorm::load(const Loader& loader, int channels, double eps) {
  LayerNorm norm;
  norm.weight = loader.get_float("weight", {channels}).contiguous();
  norm.bias = loader.get_float("bias", {channels}).contiguous();
  norm.eps = eps;
  return norm;
}

at::Tensor LayerNorm::operator()(const at::Tensor& x) const {
  return layer_norm(x, weight, bias, eps);
}

ResnetBlock ResnetBlock::load(const Loader& loader, int in, int out, int temb_channels, int groups,
                              double eps) {
  ResnetBlock block;
  block.norm1 = GroupNorm::load(loader / "norm1", in, groups, eps);
  block.conv1 = Conv2d::load(loader / "conv1", in, out, 3);
  if (temb_channels > 0)
    block.time_emb_proj = Linear::load(loader / "time_emb_proj", temb_channels, out);
  block.norm2 = GroupNorm::load(loader / "norm2", out, groups, eps);
  block.conv2 = Conv2d::load(loader / "conv2", out, out, 3);
  if (in != out) block.conv_shortcut = Conv2d::load(loader / "conv_shortcut", in, out, 1);
  return block;
}

at::Tensor ResnetBlock::operator()(const at::Tensor& x, const at::Tensor& silu_temb) const {
  auto h = conv1(norm1(x, true));
  if (time_emb_proj) h.add_((*time_emb_proj)(silu_temb).unsqueeze(-1).unsqueeze(-1));
  h = conv2(norm2(h, true));
  h.add_(conv_shortcut ? (*conv_shortcut)(x) : x);
  if (output_scale_factor != 1) h.div_(output_scale_factor);
  return h;
}

void ResnetBlock::pack() {
  conv1.pack();
  conv2.pack();
  if (conv_shortcut) conv_shortcut->pack();
}

Upsample Upsample::load(const Loader& loader, int channels) {
  return {Conv2d::load(loader / "conv", channels, channels, 3)};
}

at::Tensor Upsample::operator()(const at::Tensor& x,
                                std::optional<std::pair<int64_t, int64_t>> size) const {
  const auto [height, width] = size.value_or(std::make_pair(x.size(2) * 2, x.size(3) * 2));
  return conv(upsample_nearest(x, height, width));
}

at::Tensor upsample_nearest(const at::Tensor& x, int64_t height, int64_t width) {
  // In float32: bfloat16 nearest-neighbour upsampling is not in every libtorch build.
  const auto up =
      x.scalar_type() == at::kFloat
          ? at::upsample_nearest2d(x, {height, width})
          : at::upsample_nearest2d(x.to(at::kFloat), {height, width}).to(x.scalar_type());
  return up.contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor to_engine_layout(const at::Tensor& x, at::ScalarType dtype) {
  return x.to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor to_tokens(const at::Tensor& x) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), x.size(2) * x.size(3), x.size(1)});
}

at::Tensor from_tokens(const at::Tensor& tokens, int64_t height, int64_t width) {
  return tokens.view({tokens.size(0), height, width, tokens.size(2)}).permute({0, 3, 1, 2});
}

}  // namespace rendermart::diffusion
