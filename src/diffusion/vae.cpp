#include "diffusion/vae.hpp"

#include "diffusion/banded_convolution.hpp"
#include "diffusion/kernels/attention.hpp"

namespace rendermart::diffusion {
namespace {

constexpr double kEps = 1e-6;  // every norm of AutoencoderKL

}  // namespace

Vae::MidBlock Vae::load_mid(const Loader& loader) const {
  const int channels = config_.block_out_channels.back();
  const int groups = config_.norm_groups;
  MidBlock mid{ResnetBlock::load(loader / "resnets" / "0", channels, channels, 0, groups, kEps),
               std::nullopt,
               ResnetBlock::load(loader / "resnets" / "1", channels, channels, 0, groups, kEps)};
  if (config_.mid_attention) {
    const auto a = loader / "attentions" / "0";
    // Checkpoints converted before diffusers 0.14 name the projections query/key/value/proj_attn.
    const bool legacy = a.has("query.weight");
    mid.attention = SpatialAttention{
        GroupNorm::load(a / "group_norm", channels, groups, kEps),
        Linear::load(a / (legacy ? "query" : "to_q"), channels, channels),
        Linear::load(a / (legacy ? "key" : "to_k"), channels, channels),
        Linear::load(a / (legacy ? "value" : "to_v"), channels, channels),
        Linear::load(legacy ? a / "proj_attn" : a / "to_out" / "0", channels, channels)};
  }
  return mid;
}

Vae::Vae(const VaeConfig& config, WeightSource& weights, at::ScalarType dtype, bool encoder)
    : config_(config), dtype_(dtype) {
  const Loader root{weights, dtype, ""};
  const auto& channels = config.block_out_channels;
  const int groups = config.norm_groups;
  const int latent = config.latent_channels;
  const auto blocks = channels.size();
  if (config.quant_conv)
    post_quant_conv_ = Conv2d::load(root / "post_quant_conv", latent, latent, 1);

  const auto decoder = root / "decoder";
  conv_in_ = Conv2d::load(decoder / "conv_in", latent, channels.back(), 3);
  mid_ = load_mid(decoder / "mid_block");
  int previous = channels.back();
  for (std::size_t b = 0; b < blocks; ++b) {
    const int out = channels[blocks - 1 - b];
    const auto loader = decoder / "up_blocks" / std::to_string(b);
    std::vector<ResnetBlock> resnets;
    for (int i = 0; i <= config.layers_per_block; ++i) {
      resnets.push_back(ResnetBlock::load(loader / "resnets" / std::to_string(i),
                                          i == 0 ? previous : out, out, 0, groups, kEps));
    }
    up_blocks_.push_back(std::move(resnets));
    upsamplers_.push_back(b + 1 < blocks
                              ? std::optional(Upsample::load(loader / "upsamplers" / "0", out))
                              : std::nullopt);
    previous = out;
  }
  norm_out_ = GroupNorm::load(decoder / "conv_norm_out", channels[0], groups, kEps);
  conv_out_ = Conv2d::load(decoder / "conv_out", channels[0], config.out_channels, 3);

  if (!encoder) return;
  const auto e = root / "encoder";
  Encoder enc{Conv2d::load(e / "conv_in", config.in_channels, channels[0], 3),
              {},
              {},
              load_mid(e / "mid_block"),
              GroupNorm::load(e / "conv_norm_out", channels.back(), groups, kEps),
              Conv2d::load(e / "conv_out", channels.back(), 2 * latent, 3),
              std::nullopt};
  int in = channels[0];
  for (std::size_t b = 0; b < blocks; ++b) {
    const auto loader = e / "down_blocks" / std::to_string(b);
    std::vector<ResnetBlock> resnets;
    for (int i = 0; i < config.layers_per_block; ++i) {
      resnets.push_back(ResnetBlock::load(loader / "resnets" / std::to_string(i),
                                          i == 0 ? in : channels[b], channels[b], 0, groups, kEps));
    }
    enc.blocks.push_back(std::move(resnets));
    std::optional<Conv2d> down;
    if (b + 1 < blocks) {
      down = Conv2d::load(loader / "downsamplers" / "0" / "conv", channels[b], channels[b], 3, 2);
      down->padding = 0;  // padded asymmetrically (right and bottom) before the convolution
    }
    enc.downsamplers.push_back(down);
    in = channels[b];
  }
  if (config.quant_conv)
    enc.quant_conv = Conv2d::load(root / "quant_conv", 2 * latent, 2 * latent, 1);
  encoder_ = std::move(enc);
}

at::Tensor Vae::SpatialAttention::operator()(const at::Tensor& x) const {
  const auto height = x.size(2);
  const auto width = x.size(3);
  const auto tokens = to_tokens(norm(x, false));
  const auto out = to_out(attention(to_q(tokens), to_k(tokens), to_v(tokens), 1));
  return from_tokens(out, height, width).add(x);
}

at::Tensor Vae::MidBlock::operator()(const at::Tensor& x) const {
  const at::Tensor none;
  auto h = first(x, none);
  if (attention) h = (*attention)(h);
  return second(h, none);
}

at::Tensor Vae::decode(const at::Tensor& latents) const {
  auto h = to_engine_layout(latents, dtype_);
  if (post_quant_conv_) h = (*post_quant_conv_)(h);
  h = conv_in_(h);
  h = mid_(h);
  // In bands from here on: the levels above the latents' size hold the largest activations.
  for (std::size_t b = 0; b < up_blocks_.size(); ++b) {
    for (const auto& resnet : up_blocks_[b]) h = resnet_in_bands(resnet, std::move(h));
    if (upsamplers_[b]) h = upsample_conv_in_bands(upsamplers_[b]->conv, h);
  }
  h = norm_silu_conv_in_bands(norm_out_, conv_out_, h);
  return h.to(at::kFloat).contiguous();
}

Vae::Distribution Vae::encode(const at::Tensor& image) const {
  const auto& e = *encoder_;
  auto h = e.conv_in(to_engine_layout(image, dtype_));
  for (std::size_t b = 0; b < e.blocks.size(); ++b) {
    for (const auto& resnet : e.blocks[b]) h = resnet_in_bands(resnet, std::move(h));
    if (e.downsamplers[b]) {
      h = (*e.downsamplers[b])(
          at::constant_pad_nd(h, {0, 1, 0, 1}).contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  h = e.mid(h);
  h = e.conv_out(e.norm_out(h, true));
  if (e.quant_conv) h = (*e.quant_conv)(h);
  const auto moments = h.to(at::kFloat).contiguous();
  const auto latent = config_.latent_channels;
  return {moments.narrow(1, 0, latent).contiguous(),
          moments.narrow(1, latent, latent).clamp(-30, 20).contiguous()};
}

}  // namespace rendermart::diffusion
