#pragma once

// Mean and variance of spans of float32 or bfloat16 values, exact to float32 rounding whatever
// the mean, for the normalisation kernels. A kernel body (see kernels_portable.cpp): include it
// only from the per-ISA kernel files.

#include <algorithm>
#include <cstdint>

namespace rendermart::diffusion {
namespace {

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

// The moments of `count` contiguous values, a few thousand at most (the sums are float32): the
// mean of the chunk, then the sums of the deviations from it and of their squares, while the
// chunk is in L1. Four accumulators each, so that the adds do not wait on each other.
template <typename S, typename T>
Moments chunk_moments(const T* x, std::int64_t count) {
  using V = typename S::V;
  constexpr int kWays = 4;
  constexpr std::int64_t kStep = kWays * S::kLanes;
  V sum[kWays];
#pragma GCC unroll 4
  for (int u = 0; u < kWays; ++u) sum[u] = S::zero();
  std::int64_t i = 0;
  for (; i + kStep <= count; i += kStep) {
#pragma GCC unroll 4
    for (int u = 0; u < kWays; ++u) sum[u] = sum[u] + S::load(x + i + u * S::kLanes);
  }
  for (; i < count; i += S::kLanes) sum[0] = sum[0] + S::load(x + i, count - i);
  const float rough_mean =
      S::reduce_add((sum[0] + sum[1]) + (sum[2] + sum[3])) / static_cast<float>(count);

  const V center = S::set1(rough_mean);
  V deviation[kWays];
  V square[kWays];
#pragma GCC unroll 4
  for (int u = 0; u < kWays; ++u) deviation[u] = square[u] = S::zero();
  for (i = 0; i + kStep <= count; i += kStep) {
#pragma GCC unroll 4
    for (int u = 0; u < kWays; ++u) {
      const V d = S::load(x + i + u * S::kLanes) - center;
      deviation[u] = deviation[u] + d;
      square[u] = S::fmadd(d, d, square[u]);
    }
  }
  for (; i + S::kLanes <= count; i += S::kLanes) {
    const V d = S::load(x + i) - center;
    deviation[0] = deviation[0] + d;
    square[0] = S::fmadd(d, d, square[0]);
  }
  double s1 = S::reduce_add((deviation[0] + deviation[1]) + (deviation[2] + deviation[3]));
  double s2 = S::reduce_add((square[0] + square[1]) + (square[2] + square[3]));
  if (i < count) {
    // The last values, fewer than a vector: one at a time, so that no padding lane enters the sums.
    float tail[S::kLanes];
    S::store(tail, S::load(x + i, count - i));
    for (std::int64_t j = 0; j < count - i; ++j) {
      const double d = tail[j] - rough_mean;
      s1 += d;
      s2 += d * d;
    }
  }
  const double n = static_cast<double>(count);
  return {n, rough_mean + s1 / n, std::max(0.0, s2 - s1 * s1 / n)};
}

}  // namespace
}  // namespace rendermart::diffusion
