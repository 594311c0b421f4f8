#pragma once

#include <cstdint>

namespace rendermart::diffusion {

// GEGLU of `rows` dense rows of 2 * inner values into dense rows of `inner` values:
// y = (a + bias_a) * gelu(g + bias_g) for a = row[:inner], g = row[inner:], and bias = [bias_a,
// bias_g] (null for none).
template <typename T>
struct GegluProblem {
  std::int64_t rows, inner;
  const T* bias;
};

// The kernels on the torch intra-op thread pool; T is float, or std::uint16_t holding bfloat16
// bits. Callers check kernel_isa() >= avx512.
template <typename T>
void gelu_avx512(const T* x, T* y, std::int64_t count);

template <typename T>
void geglu_avx512(const T* projected, T* y, const GegluProblem<T>& problem);

}  // namespace rendermart::diffusion
