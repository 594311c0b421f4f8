#include "diffusion/taesd.hpp"

namespace rendermart::diffusion {

TaesdDecoder::TaesdDecoder(const TaesdConfig& config, WeightSource& weights, at::ScalarType dtype)
    : dtype_(dtype), upsampling_factor_(config.upsampling_factor) {
  const Loader layers{weights, dtype, "decoder.layers."};
  const auto& channels = config.decoder_block_out_channels;
  int index = 0;
  const auto next = [&] { return layers / std::to_string(index++); };
  layers_.push_back(
      {Layer::Kind::conv, Conv2d::load(next(), config.latent_channels, channels[0], 3), {}});
  layers_.push_back({Layer::Kind::relu, {}, {}});
  ++index;
  int in = channels[0];
  for (std::size_t b = 0; b < channels.size(); ++b) {
    const int c = channels[b];
    const bool last = b + 1 == channels.size();
    for (int i = 0; i < config.decoder_blocks[b]; ++i) {
      const auto l = next();
      Block block{Conv2d::load(l / "conv" / "0", in, c, 3), Conv2d::load(l / "conv" / "2", c, c, 3),
                  Conv2d::load(l / "conv" / "4", c, c, 3), std::nullopt};
      if (in != c) block.skip = Conv2d::load(l / "skip", in, c, 1, 1, false);
      layers_.push_back({Layer::Kind::block, {}, block});
      in = c;
    }
    if (!last) {
      layers_.push_back({Layer::Kind::upsample, {}, {}});
      ++index;
    }
    const int out = last ? config.out_channels : c;
    layers_.push_back({Layer::Kind::conv, Conv2d::load(next(), c, out, 3, 1, last), {}});
    in = out;
  }
}

at::Tensor TaesdDecoder::decode(const at::Tensor& latents) const {
  auto h = to_engine_layout(at::tanh(latents / 3) * 3, dtype_);
  for (const auto& layer : layers_) {
    switch (layer.kind) {
      case Layer::Kind::conv: h = layer.conv(h); break;
      case Layer::Kind::relu: h = at::relu(h); break;
      case Layer::Kind::upsample:
        h = upsample_nearest(h, h.size(2) * upsampling_factor_, h.size(3) * upsampling_factor_);
        break;
      case Layer::Kind::block: {
        const auto& b = layer.block;
        auto y = b.conv3(at::relu(b.conv2(at::relu(b.conv1(h)))));
        y.add_(b.skip ? (*b.skip)(h) : h);
        h = at::relu(y);
        break;
      }
    }
  }
  return h.to(at::kFloat).mul(2).sub(1).contiguous();
}

}  // namespace rendermart::diffusion
