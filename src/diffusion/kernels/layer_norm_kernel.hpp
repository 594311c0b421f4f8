#pragma once

// The LayerNorm kernel over any vector type S of simd_*.hpp. A kernel body: include it only from
// the per-ISA kernel files (kernels_*.cpp), inside their target region.

#include <ATen/Parallel.h>

#include <cmath>

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/moments.hpp"

namespace rendermart::diffusion {
namespace {

// Rows handed to a thread at a time: a UNet row is 320 to 1280 values, so a task is 20 to 80 KB.
constexpr std::int64_t kLayerNormRowsPerTask = 16;

template <typename S, typename T>
void normalize_row(const T* x, T* y, const LayerNormProblem& p) {
  using V = typename S::V;
  const std::int64_t count = p.channels;
  const Moments moments = chunk_moments<S>(x, count);
  const double mean = moments.mean;
  const double inverse_deviation = 1.0 / std::sqrt(moments.m2 / moments.count + p.eps);
  // (x - mean) * inverse_deviation as (x - center) * scale + offset: center is the mean rounded to
  // float, whose rounding goes into offset, so that x - center is exact for x near the mean and
  // the output keeps float32 precision however large the mean.
  const float rounded_mean = static_cast<float>(mean);
  const V center = S::set1(rounded_mean);
  const V scale = S::set1(static_cast<float>(inverse_deviation));
  const V offset = S::set1(static_cast<float>((rounded_mean - mean) * inverse_deviation));
  for (std::int64_t i = 0; i < count; i += S::kLanes) {
    const std::int64_t lanes = count - i;
    const V normalized = S::fmadd(S::load(x + i, lanes) - center, scale, offset);
    S::store(y + i, S::fmadd(normalized, S::load(p.weight + i, lanes), S::load(p.bias + i, lanes)),
             lanes);
  }
}

template <typename S, typename T>
void layer_norm(const T* x, T* y, const LayerNormProblem& p) {
  if (p.rows == 0 || p.channels == 0) return;
  at::parallel_for(0, p.rows, kLayerNormRowsPerTask, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t row = first; row < last; ++row) {
      normalize_row<S>(x + row * p.x_stride, y + row * p.channels, p);
    }
  });
}

}  // namespace
}  // namespace rendermart::diffusion
