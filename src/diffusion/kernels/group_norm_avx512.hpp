#pragma once

#include <cstdint>

namespace rendermart::diffusion {

// y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c] over each group of channels of each
// image, then SiLU when `silu`. Statistics are accumulated in float32 chunks and combined in
// float64; T is float, or std::uint16_t holding bfloat16 bits.
struct GroupNormProblem {
  std::int64_t batch, channels, pixels, groups;  // pixels = H * W; groups divides channels
  double eps;
  bool silu;
  bool channels_last;  // x and y are [N][H][W][C], else [N][C][H][W]
  const float* weight;  // [channels]
  const float* bias;    // [channels]
};

// The kernel on the torch intra-op thread pool, for x and y of batch * channels * pixels
// elements. Callers check kernel_isa() >= avx512.
template <typename T>
void group_norm_avx512(const T* x, T* y, const GroupNormProblem& problem);

}  // namespace rendermart::diffusion
