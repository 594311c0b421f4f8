#include "diffusion/unet.hpp"

#include <cmath>

#include "core/error.hpp"
#include "diffusion/kernels/attention.hpp"
#include "diffusion/kernels/gelu.hpp"

namespace rendermart::diffusion {

// Sinusoidal embedding of (possibly fractional) timesteps, as diffusers' get_timestep_embedding,
// in float32.
at::Tensor timestep_embedding(const at::Tensor& timesteps, int dim, bool flip_sin_to_cos,
                              double shift) {
  const int half = dim / 2;
  const auto options = at::TensorOptions().dtype(at::kFloat);
  auto exponent = at::arange(0, half, options) * static_cast<float>(-std::log(10000.0));
  exponent = exponent / static_cast<float>(half - shift);
  const auto angles = timesteps.to(at::kFloat).unsqueeze(1) * at::exp(exponent).unsqueeze(0);
  const auto sin = at::sin(angles);
  const auto cos = at::cos(angles);
  auto emb = flip_sin_to_cos ? at::cat({cos, sin}, 1) : at::cat({sin, cos}, 1);
  if (dim % 2 == 1) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

at::Tensor size_embedding(const at::Tensor& time_ids, int dim, bool flip_sin_to_cos, double shift) {
  return timestep_embedding(time_ids.flatten(), dim, flip_sin_to_cos, shift)
      .reshape({time_ids.size(0), -1});
}

at::Tensor guidance_scale_embedding(const at::Tensor& w, int dim) {
  const int half = dim / 2;
  const auto options = at::TensorOptions().dtype(at::kFloat);
  const auto scale = std::log(10000.0) / (half - 1);
  const auto freqs = at::exp(at::arange(half, options) * static_cast<float>(-scale));
  const auto angles = (w.to(at::kFloat) * 1000.0).unsqueeze(1) * freqs.unsqueeze(0);
  auto emb = at::cat({at::sin(angles), at::cos(angles)}, 1);
  if (dim % 2 == 1) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

UNet::Transformer UNet::load_transformer(const Loader& loader, int channels, int heads,
                                         int layers) const {
  Transformer t;
  t.norm = GroupNorm::load(loader / "norm", channels, config_.norm_groups, 1e-6);
  if (config_.linear_projection) {
    t.proj_in = Linear::load(loader / "proj_in", channels, channels);
    t.proj_out = Linear::load(loader / "proj_out", channels, channels);
  } else {
    t.proj_in = Linear::load_conv1x1(loader / "proj_in", channels, channels);
    t.proj_out = Linear::load_conv1x1(loader / "proj_out", channels, channels);
  }
  const int context_dim = config_.cross_attention_dim;
  const int inner = channels * 4;
  for (int i = 0; i < layers; ++i) {
    const auto block = loader / "transformer_blocks" / std::to_string(i);
    const auto attention = [&](const Loader& a, int kv_dim) {
      return Attention{Linear::load(a / "to_q", channels, channels, false),
                       Linear::load(a / "to_k", kv_dim, channels, false),
                       Linear::load(a / "to_v", kv_dim, channels, false),
                       Linear::load(a / "to_out" / "0", channels, channels), heads};
    };
    t.blocks.push_back(TransformerBlock{
        LayerNorm::load(block / "norm1", channels, 1e-5),
        LayerNorm::load(block / "norm2", channels, 1e-5),
        LayerNorm::load(block / "norm3", channels, 1e-5), attention(block / "attn1", channels),
        attention(block / "attn2", context_dim),
        Linear::load(block / "ff" / "net" / "0" / "proj", channels, inner * 2),
        Linear::load(block / "ff" / "net" / "2", inner, channels)});
  }
  return t;
}

void UNet::load_layer(Block& block, const Loader& loader, const UNetBlockConfig& spec, int i,
                      int in_channels) const {
  block.resnets.push_back(ResnetBlock::load(loader / "resnets" / std::to_string(i), in_channels,
                                            spec.out_channels, config_.time_embed_dim(),
                                            config_.norm_groups, config_.norm_eps));
  if (spec.cross_attention) {
    block.attentions.push_back(load_transformer(loader / "attentions" / std::to_string(i),
                                                spec.out_channels, spec.heads,
                                                spec.transformer_layers));
  }
}

UNet::UNet(const UNetConfig& config, WeightSource& weights, at::ScalarType dtype)
    : config_(config), dtype_(dtype) {
  const Loader root{weights, dtype, ""};
  const auto& channels = config.block_out_channels;
  const int temb = config.time_embed_dim();
  const int groups = config.norm_groups;
  const double eps = config.norm_eps;
  time_linear_1_ = Linear::load(root / "time_embedding" / "linear_1", channels[0], temb);
  time_linear_2_ = Linear::load(root / "time_embedding" / "linear_2", temb, temb);
  if (config.time_cond_proj_dim > 0) {
    time_cond_proj_ = Linear::load(root / "time_embedding" / "cond_proj", config.time_cond_proj_dim,
                                   channels[0], false);
  }
  if (config.addition_time_embed_dim > 0) {
    add_linear_1_ = Linear::load(root / "add_embedding" / "linear_1",
                                 config.projection_class_embeddings_input_dim, temb);
    add_linear_2_ = Linear::load(root / "add_embedding" / "linear_2", temb, temb);
  }
  conv_in_ = Conv2d::load(root / "conv_in", config.in_channels, channels[0], 3);

  for (std::size_t b = 0; b < config.down_blocks.size(); ++b) {
    const auto& spec = config.down_blocks[b];
    const auto loader = root / "down_blocks" / std::to_string(b);
    Block block;
    for (int i = 0; i < spec.layers; ++i) {
      load_layer(block, loader, spec, i, i == 0 ? spec.in_channels : spec.out_channels);
    }
    if (spec.resample) {
      auto conv = Conv2d::load(loader / "downsamplers" / "0" / "conv", spec.out_channels,
                               spec.out_channels, 3, 2);
      conv.padding = config.downsample_padding;
      block.downsample = conv;
    }
    down_.push_back(std::move(block));
  }

  const int mid_channels = channels.back();
  const auto mid = root / "mid_block";
  for (int i = 0; i < 2; ++i) {
    auto resnet = ResnetBlock::load(mid / "resnets" / std::to_string(i), mid_channels, mid_channels,
                                    temb, groups, eps);
    resnet.output_scale_factor = config.mid_block_scale_factor;
    mid_.resnets.push_back(std::move(resnet));
  }
  mid_.attentions.push_back(load_transformer(mid / "attentions" / "0", mid_channels,
                                             config.mid_heads, config.mid_transformer_layers));

  for (std::size_t b = 0; b < config.up_blocks.size(); ++b) {
    const auto& spec = config.up_blocks[b];
    const auto loader = root / "up_blocks" / std::to_string(b);
    Block block;
    for (int i = 0; i < spec.layers; ++i) {
      const int skip = i == spec.layers - 1 ? spec.in_channels : spec.out_channels;
      load_layer(block, loader, spec, i,
                 (i == 0 ? spec.prev_out_channels : spec.out_channels) + skip);
    }
    if (spec.resample)
      block.upsample = Upsample::load(loader / "upsamplers" / "0", spec.out_channels);
    up_.push_back(std::move(block));
  }
  norm_out_ = GroupNorm::load(root / "conv_norm_out", channels[0], groups, eps);
  conv_out_ = Conv2d::load(root / "conv_out", channels[0], config.out_channels, 3);
  pack_deep_convolutions();
}

void UNet::pack_deep_convolutions() {
  // Level l runs at 1/2^l of the latent's sides: 16x16 and below for a 512x512 image, where the
  // packed weights measured 1.1-2.6x faster; at 32x32 and above the plain path is as fast or
  // faster.
  constexpr int kPackedLevel = 2;
  const int levels = static_cast<int>(down_.size());
  for (int b = kPackedLevel; b < levels; ++b) {
    for (auto& resnet : down_[b].resnets) resnet.pack();
    if (down_[b].downsample) down_[b].downsample->pack();
  }
  if (levels - 1 >= kPackedLevel) {
    for (auto& resnet : mid_.resnets) resnet.pack();
  }
  for (int b = 0; b < static_cast<int>(up_.size()); ++b) {
    const int level = levels - 1 - b;
    if (level >= kPackedLevel) {
      for (auto& resnet : up_[b].resnets) resnet.pack();
    }
    // The upsampler's convolution runs one level up.
    if (level - 1 >= kPackedLevel && up_[b].upsample) up_[b].upsample->conv.pack();
  }
}

at::Tensor UNet::Attention::operator()(const at::Tensor& x, const at::Tensor& context) const {
  const auto q = to_q(x);
  const auto k = to_k(context);
  const auto v = to_v(context);
  return to_out(attention(q, k, v, heads));
}

at::Tensor UNet::Transformer::operator()(const at::Tensor& x, const at::Tensor& context) const {
  const auto height = x.size(2);
  const auto width = x.size(3);
  auto h = proj_in(to_tokens(norm(x, false)));
  for (const auto& block : blocks) {
    auto normed = block.norm1(h);
    h.add_(block.attn1(normed, normed));
    h.add_(block.attn2(block.norm2(h), context));
    // The projection's bias goes into the GEGLU pass instead of a pass of its own.
    const auto projected = at::linear(block.norm3(h), block.ff_proj.weight);
    h.add_(block.ff_out(geglu(projected, block.ff_proj.bias)));
  }
  auto out = from_tokens(proj_out(h), height, width);
  return out.add_(x);
}

at::Tensor UNet::time_embedding(const at::Tensor& timesteps, const at::Tensor& guidance) const {
  auto t = timestep_embedding(timesteps, config_.block_out_channels[0], config_.flip_sin_to_cos,
                              config_.freq_shift)
               .to(dtype_);
  if (time_cond_proj_ && guidance.defined()) t = t + (*time_cond_proj_)(guidance.to(dtype_));
  return time_linear_2_(at::silu(time_linear_1_(t)));
}

at::Tensor UNet::text_time_embedding(const TextTimeConditions& added) const {
  if (!add_linear_1_ || !added.text_embeds.defined() || !added.time_ids.defined()) {
    throw Error(ErrorCode::internal,
                "an SDXL UNet needs text_embeds and time_ids, and only an SDXL UNet takes them");
  }
  // Text first, then the six sizes, as diffusers concatenates them.
  const auto sizes = size_embedding(added.time_ids, config_.addition_time_embed_dim,
                                    config_.flip_sin_to_cos, config_.freq_shift);
  const auto add_embeds = at::cat({added.text_embeds.to(at::kFloat), sizes}, -1).to(dtype_);
  return (*add_linear_2_)(at::silu((*add_linear_1_)(add_embeds)));
}

at::Tensor UNet::forward(const at::Tensor& sample, const at::Tensor& timesteps,
                         const at::Tensor& context, const at::Tensor& guidance_embedding,
                         const TextTimeConditions& added) const {
  const auto batch = sample.size(0);
  auto steps = timesteps.dim() == 0 ? timesteps.reshape({1}) : timesteps;
  if (steps.size(0) != batch) steps = steps.expand({batch});
  auto temb = time_embedding(steps, guidance_embedding);
  if (add_linear_1_ || added.text_embeds.defined()) temb = temb + text_time_embedding(added);
  const auto silu_temb = at::silu(temb);
  const auto ctx = context.to(dtype_).contiguous();

  auto h = conv_in_(to_engine_layout(sample, dtype_));
  std::vector<at::Tensor> skips{h};
  for (const auto& block : down_) {
    for (std::size_t i = 0; i < block.resnets.size(); ++i) {
      h = block.resnets[i](h, silu_temb);
      if (!block.attentions.empty()) h = block.attentions[i](h, ctx);
      skips.push_back(h);
    }
    if (block.downsample) {
      h = (*block.downsample)(h);
      skips.push_back(h);
    }
  }
  h = mid_.resnets[0](h, silu_temb);
  h = mid_.attentions[0](h, ctx);
  h = mid_.resnets[1](h, silu_temb);

  for (const auto& block : up_) {
    for (std::size_t i = 0; i < block.resnets.size(); ++i) {
      const auto skip = skips.back();
      skips.pop_back();
      h = block.resnets[i](at::cat({h, skip}, 1).contiguous(at::MemoryFormat::ChannelsLast),
                           silu_temb);
      if (!block.attentions.empty()) h = block.attentions[i](h, ctx);
    }
    if (block.upsample) {
      // Upsample to the size of the skip connection it meets next, so that sides that are not
      // multiples of the total downsampling factor still line up.
      const auto& next = skips.back();
      h = (*block.upsample)(h, std::make_pair(next.size(2), next.size(3)));
    }
  }
  h = conv_out_(norm_out_(h, true));
  return h.to(at::kFloat).contiguous();
}

}  // namespace rendermart::diffusion
