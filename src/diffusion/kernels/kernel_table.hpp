#pragma once

// The fused CPU kernels, each compiled once per instruction-set level (kernels_*.cpp), and the
// table of one level's entry points. The kernels run on the torch intra-op thread pool and take
// raw, dense memory; attention.cpp, group_norm.cpp, layer_norm.cpp and gelu.cpp check tensors and
// pick the table of kernel_isa(). T is float, or std::uint16_t holding bfloat16 bits (computed in
// float32, rounded once).

#include <cstdint>

#include "diffusion/kernels/kernel_isa.hpp"

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
// [batch][queries][heads * head_dim]. keys >= 1 and the q token stride is at most
// kMaxAttentionQueryStride.
template <typename T>
struct AttentionProblem {
  AttentionOperand<T> q, k, v;
  T* out;
  std::int64_t batch, queries, keys, heads, head_dim;
};

// Largest q token stride the kernels take: they index a tile's query rows with 32-bit offsets.
constexpr std::int64_t kMaxAttentionQueryStride = std::int64_t{1} << 25;

// y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c] over each group of channels of each
// image, then SiLU when `silu`. Statistics are accumulated in float32 chunks and combined in
// float64.
struct GroupNormProblem {
  std::int64_t batch, channels, pixels, groups;  // pixels = H * W; groups divides channels
  double eps;
  bool silu;
  bool channels_last;   // x and y are [N][H][W][C], else [N][C][H][W]
  const float* weight;  // [channels]
  const float* bias;    // [channels]
};

// Per-channel center, scale and shift: y = (x - center[c]) * scale[c] + shift[c] is the GroupNorm.
struct ChannelAffineMap {
  float* center;
  float* scale;
  float* shift;
};

// `rows` dense channels-last rows of one image normalized by its ChannelAffineMap ([channels]
// each), then SiLU when `silu`.
struct RowNormProblem {
  std::int64_t rows, channels;
  bool silu;
  ChannelAffineMap affine;
};

// LayerNorm of `rows` rows of `channels` values: rows of x start `x_stride` elements apart, rows
// of y are dense. Mean and variance in float32 from two passes over the row while it is in L1,
// the reciprocal square root in float64.
struct LayerNormProblem {
  std::int64_t rows, channels, x_stride;
  double eps;
  const float* weight;  // [channels]
  const float* bias;    // [channels]
};

// GEGLU of `rows` dense rows of 2 * inner values into dense rows of `inner` values:
// y = (a + bias_a) * gelu(g + bias_g) for a = row[:inner], g = row[inner:], and bias = [bias_a,
// bias_g] (null for none).
template <typename T>
struct GegluProblem {
  std::int64_t rows, inner;
  const T* bias;
};

template <typename T>
struct TypedKernels {
  // Flash attention: online softmax, no queries x keys matrix in memory. Null where the level has
  // none for T (bfloat16 needs AVX512-BF16 and an even head_dim; callers convert otherwise).
  void (*attention)(const AttentionProblem<T>& problem);
  void (*group_norm)(const T* x, T* y, const GroupNormProblem& problem);
  // A channels-last GroupNorm in two parts, for callers that normalize a few rows at a time: the
  // affine map of every image ([batch][channels] each), then rows of one image through it.
  void (*group_norm_affine)(const T* x, const GroupNormProblem& problem,
                            const ChannelAffineMap& out);
  void (*normalize_rows)(const T* x, T* y, const RowNormProblem& problem);
  void (*layer_norm)(const T* x, T* y, const LayerNormProblem& problem);
  // The exact (erf) GELU of `count` dense values.
  void (*gelu)(const T* x, T* y, std::int64_t count);
  void (*geglu)(const T* projected, T* y, const GegluProblem<T>& problem);
};

struct KernelTable {
  TypedKernels<float> f32;
  TypedKernels<std::uint16_t> bf16;
};

// The kernels of a level; `isa` must not be above detected_kernel_isa(). Thread-safe.
const KernelTable& kernel_table(KernelIsa isa);

}  // namespace rendermart::diffusion
