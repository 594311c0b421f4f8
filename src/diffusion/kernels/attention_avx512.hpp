#pragma once

#include <cstdint>

namespace rendermart::diffusion {

// One of q, k, v: [batch][token][heads * head_dim] with a dense last dimension; the batch and
// token strides (in elements) may be larger than dense, as in slices of a fused projection.
template <typename T>
struct AttentionOperand {
  const T* data;
  std::int64_t batch_stride;
  std::int64_t token_stride;
};

// out = softmax(q kᵀ / sqrt(head_dim)) v per batch and head; out is dense
// [batch][queries][heads * head_dim]. T is float, or std::uint16_t holding bfloat16 bits.
template <typename T>
struct AttentionProblem {
  AttentionOperand<T> q, k, v;
  T* out;
  std::int64_t batch, queries, keys, heads, head_dim;
};

// Largest q token stride the kernels take: they index a tile's query rows with 32-bit offsets.
constexpr std::int64_t kMaxAttentionQueryStride = std::int64_t{1} << 25;

// Flash-attention kernels (online softmax, no queries x keys matrix in memory) on the torch
// intra-op thread pool. Callers check kernel_isa() first: avx512 for the float32 kernel,
// avx512_bf16 for the bfloat16 one, which also needs an even head_dim. keys >= 1, and the q
// token stride is at most kMaxAttentionQueryStride.
void attention_f32_avx512(const AttentionProblem<float>& problem);
void attention_bf16_avx512(const AttentionProblem<std::uint16_t>& problem);

}  // namespace rendermart::diffusion
