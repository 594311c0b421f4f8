#include "diffusion/text_encoder.hpp"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "diffusion/kernels/gelu.hpp"

namespace rendermart::diffusion {

TextEncoder::TextEncoder(const TextEncoderConfig& config, WeightSource& weights,
                         at::ScalarType dtype)
    : config_(config), dtype_(dtype) {
  const Loader root{weights, dtype, "text_model."};
  const int hidden = config.hidden_size;
  token_embedding_ =
      (root / "embeddings" / "token_embedding").get("weight", {config.vocab_size, hidden});
  position_embedding_ =
      (root / "embeddings" / "position_embedding").get("weight", {config.max_positions, hidden});
  for (int i = 0; i < config.layers; ++i) {
    const auto layer = root / "encoder" / "layers" / std::to_string(i);
    const auto attn = layer / "self_attn";
    layers_.push_back(Layer{LayerNorm::load(layer / "layer_norm1", hidden, config.layer_norm_eps),
                            Linear::load(attn / "q_proj", hidden, hidden),
                            Linear::load(attn / "k_proj", hidden, hidden),
                            Linear::load(attn / "v_proj", hidden, hidden),
                            Linear::load(attn / "out_proj", hidden, hidden),
                            LayerNorm::load(layer / "layer_norm2", hidden, config.layer_norm_eps),
                            Linear::load(layer / "mlp" / "fc1", hidden, config.intermediate_size),
                            Linear::load(layer / "mlp" / "fc2", config.intermediate_size, hidden)});
  }
  final_layer_norm_ = LayerNorm::load(root / "final_layer_norm", hidden, config.layer_norm_eps);
  if (config.projection_dim > 0) {
    // CLIPTextModelWithProjection keeps it beside text_model, not inside.
    text_projection_ = Linear::load(Loader{weights, dtype, "text_projection."}, hidden,
                                    config.projection_dim, false);
  }
}

at::Tensor TextEncoder::self_attention(const Layer& layer, const at::Tensor& x) const {
  // Causal attention over at most 77 tokens, in float32, one head per task: the mask is not
  // something the shared attention kernel takes, libtorch 1.13's batched products are slow on
  // this scale (a few GFLOP/s), and one parallel region for all heads instead of one per product
  // keeps the threads from waiting on each other hundreds of times per prompt (ops inside a
  // region run on the calling thread alone).
  const auto batch = x.size(0);
  const auto n = x.size(1);
  const int heads = config_.heads;
  const auto d = config_.hidden_size / heads;
  const auto split = [&](const at::Tensor& t) {
    return t.view({batch, n, heads, d}).transpose(1, 2).to(at::kFloat).contiguous();
  };
  const auto q = split(layer.q_proj(x)).mul_(1.0 / std::sqrt(static_cast<double>(d)));
  const auto k = split(layer.k_proj(x));
  const auto v = split(layer.v_proj(x));
  const auto mask = at::ones({n, n}, at::TensorOptions().dtype(at::kBool)).triu(1);
  auto out = at::empty({batch, heads, n, d}, q.options());
  // InferenceMode is per thread: the pool's threads take the caller's.
  const bool inference = c10::InferenceMode::is_enabled();
  at::parallel_for(0, batch * heads, 1, [&](int64_t first, int64_t last) {
    const c10::InferenceMode guard(inference);
    for (int64_t i = first; i < last; ++i) {
      const int64_t b = i / heads;
      const int64_t h = i % heads;
      auto scores = at::mm(q[b][h], k[b][h].t());
      scores.masked_fill_(mask, -std::numeric_limits<float>::infinity());
      auto target = out[b][h];
      at::mm_out(target, at::softmax(scores, -1), v[b][h]);
    }
  });
  return layer.out_proj(out.transpose(1, 2).reshape({batch, n, heads * d}).to(dtype_));
}

TextEncoder::Output TextEncoder::forward(const at::Tensor& ids, bool keep_hidden_states) const {
  if (ids.dim() != 2 || ids.size(1) > config_.max_positions || ids.size(1) < 1) {
    throw Error(ErrorCode::internal, "text encoder input must be [batch, 1.." +
                                         std::to_string(config_.max_positions) + "] token ids");
  }
  const auto n = ids.size(1);
  auto x = at::embedding(token_embedding_, ids) + position_embedding_.narrow(0, 0, n).unsqueeze(0);
  Output output;
  if (keep_hidden_states) output.hidden_states.push_back(x.to(at::kFloat));
  for (const auto& layer : layers_) {
    x = x + self_attention(layer, layer.layer_norm1(x));
    auto h = layer.fc1(layer.layer_norm2(x));
    h = config_.quick_gelu ? h * at::sigmoid(h * 1.702) : exact_gelu(h);
    x = x + layer.fc2(h);
    if (keep_hidden_states) output.hidden_states.push_back(x.to(at::kFloat));
  }
  output.last_hidden_state = final_layer_norm_(x).to(at::kFloat);
  const auto eos_positions = ids.eq(config_.eos_token_id).to(at::kInt).argmax(-1);
  output.pooled = output.last_hidden_state.index(
      {at::arange(ids.size(0), at::TensorOptions().dtype(at::kLong)), eos_positions});
  if (text_projection_)
    output.text_embeds = (*text_projection_)(output.pooled.to(dtype_)).to(at::kFloat);
  return output;
}

}  // namespace rendermart::diffusion
