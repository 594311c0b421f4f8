#include "diffusion/kernels/layer_norm_avx512.hpp"

#if defined(__x86_64__)

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "diffusion/kernels/simd.hpp"

namespace rendermart::diffusion {
namespace {

using simd::kLanes;

// Rows handed to a thread at a time: a UNet row is 320 to 1280 values, so a task is 20 to 80 KB.
constexpr std::int64_t kRowsPerTask = 16;

// Sum of a row, four accumulators so that the adds do not wait on each other.
template <typename T>
RENDERMART_AVX512 float row_sum(const T* x, std::int64_t count) {
  __m512 sum[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  std::int64_t i = 0;
  for (; i + 4 * kLanes <= count; i += 4 * kLanes) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) sum[u] = _mm512_add_ps(sum[u], simd::load(x + i + u * kLanes, 0xFFFF));
  }
  for (; i < count; i += kLanes) sum[0] = _mm512_add_ps(sum[0], simd::load(x + i, simd::first_lanes(count - i)));
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(sum[0], sum[1]), _mm512_add_ps(sum[2], sum[3])));
}

// Sum of (x - center)^2 and of (x - center) over a row.
template <typename T>
RENDERMART_AVX512 void row_deviations(const T* x, std::int64_t count, float center, float& linear,
                                      float& square) {
  const __m512 c = _mm512_set1_ps(center);
  __m512 d1[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  __m512 d2[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  std::int64_t i = 0;
  for (; i + 2 * kLanes <= count; i += 2 * kLanes) {
#pragma GCC unroll 2
    for (int u = 0; u < 2; ++u) {
      const __m512 d = _mm512_sub_ps(simd::load(x + i + u * kLanes, 0xFFFF), c);
      d1[u] = _mm512_add_ps(d1[u], d);
      d2[u] = _mm512_fmadd_ps(d, d, d2[u]);
    }
  }
  for (; i < count; i += kLanes) {
    const __mmask16 mask = simd::first_lanes(count - i);
    const __m512 d = _mm512_maskz_sub_ps(mask, simd::load(x + i, mask), c);
    d1[0] = _mm512_add_ps(d1[0], d);
    d2[0] = _mm512_fmadd_ps(d, d, d2[0]);
  }
  linear = _mm512_reduce_add_ps(_mm512_add_ps(d1[0], d1[1]));
  square = _mm512_reduce_add_ps(_mm512_add_ps(d2[0], d2[1]));
}

template <typename T>
RENDERMART_AVX512 void normalize_row(const T* x, T* y, const LayerNormProblem& p) {
  const std::int64_t count = p.channels;
  const float rough_mean = row_sum(x, count) / static_cast<float>(count);
  float linear = 0;
  float square = 0;
  row_deviations(x, count, rough_mean, linear, square);
  // The second pass corrects the mean's rounding and gives the variance about the true mean.
  const double n = static_cast<double>(count);
  const double correction = linear / n;
  const double variance = std::max(0.0, (square - linear * correction) / n);
  const double inverse_deviation = 1.0 / std::sqrt(variance + p.eps);
  // (x - mean) * inverse_deviation as (x - center) * scale + offset: center is the mean rounded to
  // float, whose rounding goes into offset, so that x - center is exact for x near the mean and
  // the output keeps float32 precision however large the mean.
  const double mean = rough_mean + correction;
  const float rounded_mean = static_cast<float>(mean);
  const __m512 center = _mm512_set1_ps(rounded_mean);
  const __m512 scale = _mm512_set1_ps(static_cast<float>(inverse_deviation));
  const __m512 offset = _mm512_set1_ps(static_cast<float>((rounded_mean - mean) * inverse_deviation));
  for (std::int64_t i = 0; i < count; i += kLanes) {
    const __mmask16 mask = i + kLanes <= count ? 0xFFFF : simd::first_lanes(count - i);
    const __m512 normalized =
        _mm512_fmadd_ps(_mm512_sub_ps(simd::load(x + i, mask), center), scale, offset);
    simd::store(y + i,
                _mm512_fmadd_ps(normalized, simd::load(p.weight + i, mask), simd::load(p.bias + i, mask)),
                mask);
  }
}

}  // namespace

template <typename T>
void layer_norm_avx512(const T* x, T* y, const LayerNormProblem& p) {
  if (p.rows == 0 || p.channels == 0) return;
  at::parallel_for(0, p.rows, kRowsPerTask, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t row = first; row < last; ++row) {
      normalize_row(x + row * p.x_stride, y + row * p.channels, p);
    }
  });
}

template void layer_norm_avx512<float>(const float*, float*, const LayerNormProblem&);
template void layer_norm_avx512<std::uint16_t>(const std::uint16_t*, std::uint16_t*,
                                               const LayerNormProblem&);

}  // namespace rendermart::diffusion

#endif
