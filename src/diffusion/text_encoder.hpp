#pragma once

// CLIPTextModel (transformers): token + position embeddings, pre-LayerNorm transformer layers with
// causal self-attention, and a final LayerNorm; CLIPTextModelWithProjection adds a projection of
// the pooled state. SD 1.x / 2.x feed the UNet the last hidden state (SD 2.x checkpoints already
// drop OpenCLIP's last layer), SDXL the penultimate one and the projected pooled state.

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "diffusion/layers.hpp"
#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

class TextEncoder {
 public:
  TextEncoder(const TextEncoderConfig& config, WeightSource& weights, at::ScalarType dtype);

  struct Output {
    at::Tensor last_hidden_state;           // [B, N, hidden], float32
    std::vector<at::Tensor> hidden_states;  // embeddings, then after each layer (float32)
    at::Tensor pooled;                      // [B, hidden]: the state at the first eos token
    at::Tensor text_embeds;  // [B, projection_dim]: pooled, projected; undefined without projection
  };
  // ids: int64 [B, N], N <= max_positions. keep_hidden_states: also return every layer's output.
  // Thread-safe (read-only weights).
  Output forward(const at::Tensor& ids, bool keep_hidden_states = false) const;

  const TextEncoderConfig& config() const { return config_; }

 private:
  struct Layer {
    LayerNorm layer_norm1;
    Linear q_proj, k_proj, v_proj, out_proj;
    LayerNorm layer_norm2;
    Linear fc1, fc2;
  };
  at::Tensor self_attention(const Layer& layer, const at::Tensor& x) const;

  TextEncoderConfig config_;
  at::ScalarType dtype_;
  at::Tensor token_embedding_;
  at::Tensor position_embedding_;
  std::vector<Layer> layers_;
  LayerNorm final_layer_norm_;
  std::optional<Linear> text_projection_;
};

}  // namespace rendermart::diffusion
