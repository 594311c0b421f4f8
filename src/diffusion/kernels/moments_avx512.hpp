#pragma once

// Mean and variance of spans of float32 or bfloat16 values, exact to float32 rounding whatever
// the mean, for the normalisation kernels. AVX-512 functions (see simd.hpp): include this header
// only from the *_avx512.cpp files, after all other headers.

#if defined(__x86_64__)

#include <algorithm>
#include <cstdint>

#include "diffusion/kernels/simd.hpp"

namespace rendermart::diffusion {

// Count, mean and sum of squared deviations from the mean of some values.
struct Moments {
  double count = 0;
  double mean = 0;
  double m2 = 0;

  // Merges another set of values into this one (Chan et al.).
  void add(const Moments& other) {
    if (other.count == 0) return;
    const double total = count + other.count;
    const double delta = other.mean - mean;
    mean += delta * other.count / total;
    m2 += other.m2 + delta * delta * count * other.count / total;
    count = total;
  }
};

RENDERMART_AVX512 inline float sum_lanes(__m512 x) { return _mm512_reduce_add_ps(x); }

// The moments of `count` contiguous values, a few thousand at most (the sums are float32). Four accumulators each, so that the adds
// do not wait on each other while the chunk is in L1.
template <typename T>
RENDERMART_AVX512 inline Moments chunk_moments(const T* x, std::int64_t count) {
  constexpr int kWays = 4;
  constexpr std::int64_t kStep = kWays * simd::kLanes;
  __m512 sum[kWays];
#pragma GCC unroll 4
  for (int u = 0; u < kWays; ++u) sum[u] = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + kStep <= count; i += kStep) {
#pragma GCC unroll 4
    for (int u = 0; u < kWays; ++u) sum[u] = _mm512_add_ps(sum[u], simd::load(x + i + u * simd::kLanes, 0xFFFF));
  }
  for (; i < count; i += simd::kLanes) sum[0] = _mm512_add_ps(sum[0], simd::load(x + i, simd::first_lanes(count - i)));
  const float rough_mean =
      sum_lanes(_mm512_add_ps(_mm512_add_ps(sum[0], sum[1]), _mm512_add_ps(sum[2], sum[3]))) /
      static_cast<float>(count);

  const __m512 center = _mm512_set1_ps(rough_mean);
  __m512 deviation[kWays];
  __m512 square[kWays];
#pragma GCC unroll 4
  for (int u = 0; u < kWays; ++u) deviation[u] = square[u] = _mm512_setzero_ps();
  for (i = 0; i + kStep <= count; i += kStep) {
#pragma GCC unroll 4
    for (int u = 0; u < kWays; ++u) {
      const __m512 d = _mm512_sub_ps(simd::load(x + i + u * simd::kLanes, 0xFFFF), center);
      deviation[u] = _mm512_add_ps(deviation[u], d);
      square[u] = _mm512_fmadd_ps(d, d, square[u]);
    }
  }
  for (; i < count; i += simd::kLanes) {
    const __mmask16 mask = simd::first_lanes(count - i);
    const __m512 d = _mm512_maskz_sub_ps(mask, simd::load(x + i, mask), center);
    deviation[0] = _mm512_add_ps(deviation[0], d);
    square[0] = _mm512_fmadd_ps(d, d, square[0]);
  }
  const double s1 = sum_lanes(_mm512_add_ps(_mm512_add_ps(deviation[0], deviation[1]),
                                            _mm512_add_ps(deviation[2], deviation[3])));
  const double s2 = sum_lanes(
      _mm512_add_ps(_mm512_add_ps(square[0], square[1]), _mm512_add_ps(square[2], square[3])));
  const double n = static_cast<double>(count);
  return {n, rough_mean + s1 / n, std::max(0.0, s2 - s1 * s1 / n)};
}

}  // namespace rendermart::diffusion

#endif
