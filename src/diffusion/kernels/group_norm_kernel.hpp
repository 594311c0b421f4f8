#pragma once

// The GroupNorm (+ SiLU) kernel over any vector type S of simd_*.hpp. A kernel body: include it
// only from the per-ISA kernel files (kernels_*.cpp), inside their target region.
//
// Statistics are exact to float32 rounding whatever the mean: each chunk of at most kChunk
// elements is read twice while it is in cache (its mean, then the sum of squared deviations from
// that mean), and the chunks' (count, mean, M2) are merged in float64 with Chan's formula. So the
// data comes from memory once for the statistics and once for the normalisation; in NCHW a group
// is normalised right after its statistics, while it is still in the L2 cache.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/moments.hpp"
#include "diffusion/kernels/simd_math.hpp"
#include "diffusion/kernels/thread_scratch.hpp"

namespace rendermart::diffusion {
namespace {

constexpr std::int64_t kChunk = 4096;       // elements of a contiguous chunk (16 KB of float32)
constexpr std::int64_t kNhwcChunk = 16384;  // elements of a chunk of channels-last rows

// (x - mean) / sqrt(var + eps) * weight + bias as (x - center) * scale + shift: center is the
// float64 mean rounded to float, and the rounding is folded into shift, so that x - center is
// exact for x near the mean and the output keeps float32 precision however large the mean.
struct ChannelAffine {
  float center;
  float scale;
  float shift;
};

ChannelAffine channel_affine(const Moments& m, double eps, float weight, float bias) {
  const double scale = weight / std::sqrt(m.m2 / m.count + eps);
  const float center = static_cast<float>(m.mean);
  return {center, static_cast<float>(scale), static_cast<float>(bias - (m.mean - center) * scale)};
}

// y = (x - center) * scale + shift, then SiLU, over `count` contiguous values.
template <typename S, typename T, bool kSilu>
void normalize_span(const T* x, T* y, std::int64_t count, ChannelAffine affine) {
  using V = typename S::V;
  const V center = S::set1(affine.center);
  const V scale = S::set1(affine.scale);
  const V shift = S::set1(affine.shift);
  const auto normalize = [&](V v) {
    v = S::fmadd(v - center, scale, shift);
    if constexpr (kSilu) v = simd::silu<S>(v);
    return v;
  };
  std::int64_t i = 0;
  for (; i + S::kLanes <= count; i += S::kLanes) S::store(y + i, normalize(S::load(x + i)));
  if (i < count) S::store(y + i, normalize(S::load(x + i, count - i)), count - i);
}

// One (image, group) of NCHW: a contiguous run of channels_per_group * pixels values.
template <typename S, typename T, bool kSilu>
void normalize_group_nchw(const T* x, T* y, const GroupNormProblem& p, std::int64_t first_channel) {
  const std::int64_t per_group = p.channels / p.groups;
  const std::int64_t count = per_group * p.pixels;
  Moments moments;
  for (std::int64_t i = 0; i < count; i += kChunk) {
    moments.add(chunk_moments<S>(x + i, std::min(kChunk, count - i)));
  }
  for (std::int64_t c = 0; c < per_group; ++c) {
    const std::int64_t channel = first_channel + c;
    normalize_span<S, T, kSilu>(x + c * p.pixels, y + c * p.pixels, p.pixels,
                                channel_affine(moments, p.eps, p.weight[channel], p.bias[channel]));
  }
}

template <typename S, typename T, bool kSilu>
void group_norm_nchw(const T* x, T* y, const GroupNormProblem& p) {
  const std::int64_t per_group = p.channels / p.groups;
  at::parallel_for(0, p.batch * p.groups, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t index = first; index < last; ++index) {
      const std::int64_t offset = index * per_group * p.pixels;
      normalize_group_nchw<S, T, kSilu>(x + offset, y + offset, p, (index % p.groups) * per_group);
    }
  });
}

// Per-channel moments of `rows` channels-last rows starting at x: the mean is center[c] +
// offset[c] (two floats, so that a large mean keeps its precision), the M2 is m2[c].
template <typename S, typename T>
void channel_moments(const T* x, std::int64_t rows, std::int64_t channels, float* center,
                     float* offset, float* m2) {
  using V = typename S::V;
  const V n = S::set1(static_cast<float>(rows));
  for (std::int64_t c = 0; c < channels; c += S::kLanes) {
    const std::int64_t lanes = channels - c;
    V sum = S::zero();
    for (std::int64_t r = 0; r < rows; ++r) sum = sum + S::load(x + r * channels + c, lanes);
    const V rough_mean = sum / n;
    V deviation = S::zero();
    V square = S::zero();
    for (std::int64_t r = 0; r < rows; ++r) {
      const V d = S::load(x + r * channels + c, lanes) - rough_mean;
      deviation = deviation + d;
      square = S::fmadd(d, d, square);
    }
    const V correction = deviation / n;
    S::store(center + c, rough_mean, lanes);
    S::store(offset + c, correction, lanes);
    S::store(m2 + c, S::max(S::zero(), S::fnmadd(deviation, correction, square)), lanes);
  }
}

// Moments of each group over `rows` channels-last rows, into moments[groups].
template <typename S, typename T>
void chunk_group_moments(const T* x, std::int64_t rows, const GroupNormProblem& p,
                         Moments* moments) {
  float* center = thread_scratch(static_cast<std::size_t>(3 * p.channels));
  float* offset = center + p.channels;
  float* m2 = offset + p.channels;
  channel_moments<S>(x, rows, p.channels, center, offset, m2);
  // Channels of a group have the same count, so the group mean is their plain average.
  const std::int64_t per_group = p.channels / p.groups;
  for (std::int64_t g = 0; g < p.groups; ++g) {
    const std::int64_t first = g * per_group;
    const std::int64_t last = first + per_group;
    double average = 0;
    for (std::int64_t c = first; c < last; ++c) average += double{center[c]} + offset[c];
    average /= static_cast<double>(per_group);
    double spread = 0;
    for (std::int64_t c = first; c < last; ++c) {
      const double delta = double{center[c]} + offset[c] - average;
      spread += m2[c] + static_cast<double>(rows) * delta * delta;
    }
    moments[g] = {static_cast<double>(rows * per_group), average, spread};
  }
}

// y = (x - center[c]) * scale[c] + shift[c] over `rows` channels-last rows, then SiLU.
template <typename S, typename T, bool kSilu>
void normalize_rows_nhwc(const T* x, T* y, std::int64_t rows, std::int64_t channels,
                         const float* center, const float* scale, const float* shift) {
  using V = typename S::V;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < channels; c += S::kLanes) {
      const std::int64_t lanes = channels - c;
      const std::int64_t at = r * channels + c;
      V v = S::load(x + at, lanes) - S::load(center + c, lanes);
      v = S::fmadd(v, S::load(scale + c, lanes), S::load(shift + c, lanes));
      if constexpr (kSilu) v = simd::silu<S>(v);
      S::store(y + at, v, lanes);
    }
  }
}

// The affine map of each image and channel of a channels-last GroupNorm (center, scale and shift,
// [batch][channels] each): its statistics, without normalizing anything.
template <typename S, typename T>
void group_norm_affine(const T* x, const GroupNormProblem& p, const ChannelAffineMap& out) {
  const std::int64_t C = p.channels;
  const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, kNhwcChunk / C);
  const std::int64_t chunks = (p.pixels + rows_per_chunk - 1) / rows_per_chunk;
  std::vector<Moments> chunk_stats(static_cast<std::size_t>(p.batch * chunks * p.groups));
  at::parallel_for(0, p.batch * chunks, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t index = first; index < last; ++index) {
      const std::int64_t n = index / chunks;
      const std::int64_t row = (index % chunks) * rows_per_chunk;
      chunk_group_moments<S>(x + (n * p.pixels + row) * C, std::min(rows_per_chunk, p.pixels - row),
                             p, chunk_stats.data() + index * p.groups);
    }
  });

  const std::int64_t per_group = C / p.groups;
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t g = 0; g < p.groups; ++g) {
      Moments moments;
      for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
        moments.add(chunk_stats[static_cast<std::size_t>((n * chunks + chunk) * p.groups + g)]);
      }
      for (std::int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
        const auto at = static_cast<std::size_t>(n * C + c);
        const ChannelAffine affine = channel_affine(moments, p.eps, p.weight[c], p.bias[c]);
        out.center[at] = affine.center;
        out.scale[at] = affine.scale;
        out.shift[at] = affine.shift;
      }
    }
  }
}

// Rows of one image normalized by its affine map, in parallel.
template <typename S, typename T, bool kSilu>
void normalize_rows_parallel(const T* x, T* y, const RowNormProblem& p) {
  const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, kNhwcChunk / p.channels);
  at::parallel_for(0, p.rows, rows_per_chunk, [&](std::int64_t first, std::int64_t last) {
    normalize_rows_nhwc<S, T, kSilu>(x + first * p.channels, y + first * p.channels, last - first,
                                     p.channels, p.affine.center, p.affine.scale, p.affine.shift);
  });
}

template <typename S, typename T>
void normalize_rows(const T* x, T* y, const RowNormProblem& p) {
  if (p.rows * p.channels == 0) return;
  p.silu ? normalize_rows_parallel<S, T, true>(x, y, p)
         : normalize_rows_parallel<S, T, false>(x, y, p);
}

template <typename S, typename T, bool kSilu>
void group_norm_nhwc(const T* x, T* y, const GroupNormProblem& p) {
  const std::int64_t C = p.channels;
  std::vector<float> affine(static_cast<std::size_t>(3 * p.batch * C));
  const ChannelAffineMap map{affine.data(), affine.data() + p.batch * C,
                             affine.data() + 2 * p.batch * C};
  group_norm_affine<S>(x, p, map);
  for (std::int64_t n = 0; n < p.batch; ++n) {
    const std::int64_t offset = n * p.pixels * C;
    normalize_rows_parallel<S, T, kSilu>(
        x + offset, y + offset,
        {p.pixels, C, kSilu, {map.center + n * C, map.scale + n * C, map.shift + n * C}});
  }
}

template <typename S, typename T>
void group_norm(const T* x, T* y, const GroupNormProblem& p) {
  if (p.batch * p.channels * p.pixels == 0) return;
  if (p.channels_last) {
    p.silu ? group_norm_nhwc<S, T, true>(x, y, p) : group_norm_nhwc<S, T, false>(x, y, p);
  } else {
    p.silu ? group_norm_nchw<S, T, true>(x, y, p) : group_norm_nchw<S, T, false>(x, y, p);
  }
}

}  // namespace
}  // namespace rendermart::diffusion
