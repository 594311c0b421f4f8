#pragma once

// Elementary functions on any vector type S of simd_*.hpp, for the kernel bodies.

namespace rendermart::diffusion::simd {
namespace {

// 2^x = 2^n * 2^f with n = round(x) and f in [-0.5, 0.5]. For x below -125 the result is 0, so
// that no denormal reaches later arithmetic (slow on some cores); above 126 it is 2^126; NaN stays
// NaN. 2^f is the Cephes exp2f polynomial (relative error below 2e-7), or with kBfloat16Accuracy
// a cubic (below 8e-5), ample for values that are rounded to bfloat16 (2^-9) afterwards.
template <typename S, bool kBfloat16Accuracy = false>
typename S::V exp2(typename S::V x) {
  using V = typename S::V;
  const V clamped = S::min(S::set1(126.0f), S::max(S::set1(-125.0f), x));
  const V n = S::round(clamped);
  const V f = clamped - n;
  V p;
  if constexpr (kBfloat16Accuracy) {
    p = S::set1(5.51716194e-2f);
    p = S::fmadd(p, f, S::set1(2.42611118e-1f));
    p = S::fmadd(p, f, S::set1(6.93260995e-1f));
    p = S::fmadd(p, f, S::set1(9.99928074e-1f));
  } else {
    p = S::set1(1.535336188319500e-4f);
    p = S::fmadd(p, f, S::set1(1.339887440266574e-3f));
    p = S::fmadd(p, f, S::set1(9.618437357674640e-3f));
    p = S::fmadd(p, f, S::set1(5.550332471162809e-2f));
    p = S::fmadd(p, f, S::set1(2.402264791363012e-1f));
    p = S::fmadd(p, f, S::set1(6.931472028550421e-1f));
    p = S::fmadd(p, f, S::set1(1.0f));
  }
  return S::scale_or_zero(p, n, x);
}

// x * sigmoid(x) = x / (1 + e^-x).
template <typename S>
typename S::V silu(typename S::V x) {
  const typename S::V e = exp2<S>(x * S::set1(-1.4426950408889634f));
  return x * S::reciprocal(S::set1(1.0f) + e);
}

// erfc(z) / 2 for z >= 0 with a relative error of about 1e-6 (the Numerical Recipes erfcc
// fit, 1.2e-7, and the rounding of its exponent), however small the result: no 1 - erf(z).
template <typename S>
typename S::V half_erfc(typename S::V z) {
  using V = typename S::V;
  const V t = S::set1(1.0f) / S::fmadd(z, S::set1(0.5f), S::set1(1.0f));
  V p = S::set1(0.17087277f);
  p = S::fmadd(p, t, S::set1(-0.82215223f));
  p = S::fmadd(p, t, S::set1(1.48851587f));
  p = S::fmadd(p, t, S::set1(-1.13520398f));
  p = S::fmadd(p, t, S::set1(0.27886807f));
  p = S::fmadd(p, t, S::set1(-0.18628806f));
  p = S::fmadd(p, t, S::set1(0.09678418f));
  p = S::fmadd(p, t, S::set1(0.37409196f));
  p = S::fmadd(p, t, S::set1(1.00002368f));
  p = S::fmadd(p, t, S::set1(-1.26551223f - 0.69314718f));  // e^-ln 2 halves the result
  const V e = exp2<S>(S::fnmadd(z, z, p) * S::set1(1.4426950408889634f));
  return t * e;
}

// The exact GELU, x Φ(x) with Φ the normal distribution function, as torch's gelu without
// approximation: x - |x| erfc(|x| / √2) / 2 for x >= 0, and -|x| erfc(|x| / √2) / 2 below, so
// that the tail of negative x keeps its relative precision (x (1 + erf(x / √2)) / 2 loses it).
template <typename S>
typename S::V gelu(typename S::V x) {
  const typename S::V magnitude = S::max(x, S::zero() - x);
  const typename S::V tail = half_erfc<S>(magnitude * S::set1(0.70710678118654752f));
  return S::fnmadd(magnitude, tail, S::max(x, S::zero()));
}

}  // namespace
}  // namespace rendermart::diffusion::simd
