#include "diffusion/kernels/gelu_avx512.hpp"

#if defined(__x86_64__)

#include <ATen/Parallel.h>

#include "diffusion/kernels/simd.hpp"

namespace rendermart::diffusion {
namespace {

using simd::kLanes;

// Values handed to a thread at a time by gelu_avx512.
constexpr std::int64_t kValuesPerTask = 16384;
// Rows handed to a thread at a time by geglu_avx512: a UNet row is 2 x 1280 to 2 x 5120 values.
constexpr std::int64_t kRowsPerTask = 8;

template <typename T>
RENDERMART_AVX512 void gelu_span(const T* x, T* y, std::int64_t count) {
  for (std::int64_t i = 0; i < count; i += kLanes) {
    const __mmask16 mask = i + kLanes <= count ? 0xFFFF : simd::first_lanes(count - i);
    simd::store(y + i, simd::gelu(simd::load(x + i, mask)), mask);
  }
}

template <typename T>
RENDERMART_AVX512 void geglu_row(const T* row, T* y, std::int64_t inner, const T* bias) {
  const T* gate = row + inner;
  for (std::int64_t i = 0; i < inner; i += kLanes) {
    const __mmask16 mask = i + kLanes <= inner ? 0xFFFF : simd::first_lanes(inner - i);
    __m512 a = simd::load(row + i, mask);
    __m512 g = simd::load(gate + i, mask);
    if (bias != nullptr) {
      a = _mm512_add_ps(a, simd::load(bias + i, mask));
      g = _mm512_add_ps(g, simd::load(bias + inner + i, mask));
    }
    simd::store(y + i, _mm512_mul_ps(a, simd::gelu(g)), mask);
  }
}

}  // namespace

template <typename T>
void gelu_avx512(const T* x, T* y, std::int64_t count) {
  if (count == 0) return;
  at::parallel_for(0, count, kValuesPerTask, [&](std::int64_t first, std::int64_t last) {
    gelu_span(x + first, y + first, last - first);
  });
}

template <typename T>
void geglu_avx512(const T* projected, T* y, const GegluProblem<T>& p) {
  if (p.rows == 0 || p.inner == 0) return;
  at::parallel_for(0, p.rows, kRowsPerTask, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t row = first; row < last; ++row) {
      geglu_row(projected + row * 2 * p.inner, y + row * p.inner, p.inner, p.bias);
    }
  });
}

template void gelu_avx512<float>(const float*, float*, std::int64_t);
template void gelu_avx512<std::uint16_t>(const std::uint16_t*, std::uint16_t*, std::int64_t);
template void geglu_avx512<float>(const float*, float*, const GegluProblem<float>&);
template void geglu_avx512<std::uint16_t>(const std::uint16_t*, std::uint16_t*,
                                          const GegluProblem<std::uint16_t>&);

}  // namespace rendermart::diffusion

#endif
