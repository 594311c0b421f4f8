#pragma once

// The GELU and GEGLU kernels over any vector type S of simd_*.hpp. A kernel body: include it only
// from the per-ISA kernel files (kernels_*.cpp), inside their target region.

#include <ATen/Parallel.h>

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/simd_math.hpp"

namespace rendermart::diffusion {
namespace {

// Values handed to a thread at a time by gelu.
constexpr std::int64_t kGeluValuesPerTask = 16384;
// Rows handed to a thread at a time by geglu: a UNet row is 2 x 1280 to 2 x 5120 values.
constexpr std::int64_t kGegluRowsPerTask = 8;

template <typename S, typename T>
void gelu_span(const T* x, T* y, std::int64_t count) {
  for (std::int64_t i = 0; i < count; i += S::kLanes) {
    S::store(y + i, simd::gelu<S>(S::load(x + i, count - i)), count - i);
  }
}

template <typename S, typename T>
void geglu_row(const T* row, T* y, std::int64_t inner, const T* bias) {
  using V = typename S::V;
  const T* gate = row + inner;
  for (std::int64_t i = 0; i < inner; i += S::kLanes) {
    const std::int64_t lanes = inner - i;
    V a = S::load(row + i, lanes);
    V g = S::load(gate + i, lanes);
    if (bias != nullptr) {
      a = a + S::load(bias + i, lanes);
      g = g + S::load(bias + inner + i, lanes);
    }
    S::store(y + i, a * simd::gelu<S>(g), lanes);
  }
}

template <typename S, typename T>
void gelu(const T* x, T* y, std::int64_t count) {
  if (count == 0) return;
  at::parallel_for(0, count, kGeluValuesPerTask, [&](std::int64_t first, std::int64_t last) {
    gelu_span<S>(x + first, y + first, last - first);
  });
}

template <typename S, typename T>
void geglu(const T* projected, T* y, const GegluProblem<T>& p) {
  if (p.rows == 0 || p.inner == 0) return;
  at::parallel_for(0, p.rows, kGegluRowsPerTask, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t row = first; row < last; ++row) {
      geglu_row<S>(projected + row * 2 * p.inner, y + row * p.inner, p.inner, p.bias);
    }
  });
}

}  // namespace
}  // namespace rendermart::diffusion
