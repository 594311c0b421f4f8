#pragma once

// A chunked prompt through one text encoder, as AUTOMATIC1111 encodes it: each chunk of 77 ids
// separately, each chunk's hidden states multiplied token by token by the chunk's weights and
// then scaled back to the chunk's original mean (its default "Original" emphasis), and the
// chunks concatenated along the token axis. SDXL runs this once per text encoder.

#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "diffusion/prompt_parser.hpp"

namespace rendermart::diffusion {

// A prompt encoded: hidden [1, 77 * chunks, width] float32; pooled [1, projection_dim] float32
// from an encoder with a projection (SDXL's text_embeds), else undefined.
struct PromptEmbedding {
  at::Tensor hidden;
  at::Tensor pooled;
};

// One chunk's ids [1, 77] (int64) -> its hidden states [1, 77, width] and, where the encoder makes
// one, its pooled embedding.
using ChunkEncoder = std::function<PromptEmbedding(const at::Tensor& ids)>;

// The chunks' weighted states, concatenated; the pooled embedding is the first chunk's (the one
// AUTOMATIC1111 takes).
PromptEmbedding encode_chunks(const std::vector<PromptChunk>& chunks, const ChunkEncoder& encode);

// z [1, N, hidden] weighted by `weights` (N of them), then scaled so that its mean is z's mean
// again. All weights 1: z itself.
at::Tensor emphasize(const at::Tensor& z, const std::vector<float>& weights);

}  // namespace rendermart::diffusion
