#include "diffusion/kernels/layer_norm_avx512.hpp"

#if defined(__x86_64__)

#include <ATen/Parallel.h>

#include <cmath>

#include "diffusion/kernels/moments_avx512.hpp"

namespace rendermart::diffusion {
namespace {

using simd::kLanes;

// Rows handed to a thread at a time: a UNet row is 320 to 1280 values, so a task is 20 to 80 KB.
constexpr std::int64_t kRowsPerTask = 16;

template <typename T>
RENDERMART_AVX512 void normalize_row(const T* x, T* y, const LayerNormProblem& p) {
  const std::int64_t count = p.channels;
  const Moments moments = chunk_moments(x, count);
  const double mean = moments.mean;
  const double inverse_deviation = 1.0 / std::sqrt(moments.m2 / moments.count + p.eps);
  // (x - mean) * inverse_deviation as (x - center) * scale + offset: center is the mean rounded to
  // float, whose rounding goes into offset, so that x - center is exact for x near the mean and
  // the output keeps float32 precision however large the mean.
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
