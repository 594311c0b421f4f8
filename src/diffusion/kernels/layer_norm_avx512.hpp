#pragma once

#include <cstdint>

namespace rendermart::diffusion {

// LayerNorm of `rows` rows of `channels` values: rows of x start `x_stride` elements apart, rows
// of y are dense. Mean and variance in float32 from two passes over the row while it is in L1,
// the reciprocal square root in float64.
struct LayerNormProblem {
  std::int64_t rows, channels, x_stride;
  double eps;
  const float* weight;  // [channels]
  const float* bias;    // [channels]
};

// The kernel on the torch intra-op thread pool; T is float, or std::uint16_t holding bfloat16
// bits. Callers check kernel_isa() >= avx512.
template <typename T>
void layer_norm_avx512(const T* x, T* y, const LayerNormProblem& problem);

}  // namespace rendermart::diffusion
