#pragma once

// AVX-512 building blocks of the fused kernels. Every function carries a target attribute, so
// that only these functions are compiled for AVX-512 while the program stays generic x86-64;
// they may run only after kernel_isa() has said the CPU has the instruction set. Include this
// header only from the *_avx512.cpp files, after all other headers.

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>
#include <cstring>

// GCC 12 warns about the deliberately undefined registers inside its own AVX-512 intrinsics once
// they are inlined (GCC bug 105593); this header comes last in the files that use them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define RENDERMART_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define RENDERMART_AVX512_BF16 \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx512bf16")))

namespace rendermart::diffusion::simd {

constexpr int kLanes = 16;  // floats in a vector

// The lanes [0, count) of a vector, for the tail of a row; count may be negative or above 16.
RENDERMART_AVX512 inline __mmask16 first_lanes(std::int64_t count) {
  if (count >= kLanes) return 0xFFFF;
  if (count <= 0) return 0;
  return static_cast<__mmask16>((1u << count) - 1u);
}

// 2^x = 2^n * 2^f with n = round(x) and f in [-0.5, 0.5]. For x below -125 the result is 0, so
// that no denormal reaches later arithmetic (slow on some cores); above 126 it is 2^126; NaN stays
// NaN. 2^f is the Cephes exp2f polynomial (relative error below 2e-7), or with kBfloat16Accuracy
// a cubic (below 8e-5), ample for values that are rounded to bfloat16 (2^-9) afterwards.
template <bool kBfloat16Accuracy = false>
RENDERMART_AVX512 inline __m512 exp2(__m512 x) {
  const __mmask16 not_tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-125.0f), _CMP_NLT_UQ);
  x = _mm512_max_ps(_mm512_set1_ps(-125.0f), x);
  x = _mm512_min_ps(_mm512_set1_ps(126.0f), x);
  const __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(x, n);
  __m512 p;
  if constexpr (kBfloat16Accuracy) {
    p = _mm512_set1_ps(5.51716194e-2f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.42611118e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.93260995e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.99928074e-1f));
  } else {
    p = _mm512_set1_ps(1.535336188319500e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  }
  return _mm512_maskz_scalef_ps(not_tiny, p, n);
}

// x * sigmoid(x) = x / (1 + e^-x); the reciprocal is vrcp14ps refined by one Newton step (error
// about 2^-28), several times the throughput of a division.
RENDERMART_AVX512 inline __m512 silu(__m512 x) {
  const __m512 e = exp2(_mm512_mul_ps(x, _mm512_set1_ps(-1.4426950408889634f)));
  const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), e);
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(x, _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f))));
}

// erf(x) as a rational function, odd numerator over even denominator, on x clamped to [-4, 4]
// (beyond it erf is ±1 in float32); absolute error below 1e-7. The coefficients are Eigen's
// (generic_fast_erf_float).
RENDERMART_AVX512 inline __m512 erf(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-4.0f), _mm512_min_ps(_mm512_set1_ps(4.0f), x));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
  p = _mm512_mul_ps(p, x);
  __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
  return _mm512_div_ps(p, q);
}

// The exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as torch's gelu without approximation.
RENDERMART_AVX512 inline __m512 gelu(__m512 x) {
  const __m512 half_x = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
  const __m512 e = erf(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
  return _mm512_fmadd_ps(half_x, e, half_x);
}

// The lanes of `mask` from 16 floats at p; the other lanes are 0 and are not read.
RENDERMART_AVX512 inline __m512 load(const float* p, __mmask16 mask) {
  return _mm512_maskz_loadu_ps(mask, p);
}

// The lanes of `mask` from 16 bfloat16 values at p, widened to float32 (exact).
RENDERMART_AVX512 inline __m512 load(const std::uint16_t* p, __mmask16 mask) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

RENDERMART_AVX512 inline void store(float* p, __m512 x, __mmask16 mask) {
  _mm512_mask_storeu_ps(p, mask, x);
}

// Stores the lanes of `mask` as bfloat16, rounded to nearest even like c10::BFloat16 (NaN stays
// a quiet NaN). The high halves are gathered with vpermw: a masked vpmovdw to memory is slow on
// AMD cores.
RENDERMART_AVX512 inline void store(std::uint16_t* p, __m512 x, __mmask16 mask) {
  const __m512i bits = _mm512_castps_si512(x);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF)));
  rounded = _mm512_mask_mov_epi32(rounded, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q),
                                  _mm512_set1_epi32(0x7FC00000));
  const __m512i high_halves = _mm512_set_epi16(
      31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1, 31, 29, 27, 25, 23, 21, 19, 17, 15,
      13, 11, 9, 7, 5, 3, 1);
  _mm256_mask_storeu_epi16(p, mask,
                           _mm512_castsi512_si256(_mm512_permutexvar_epi16(high_halves, rounded)));
}

// The 32-bit word at p (any alignment) in every lane.
RENDERMART_AVX512 inline __m512 broadcast_word(const void* p) {
  std::int32_t word;
  std::memcpy(&word, p, sizeof word);
  return _mm512_castsi512_ps(_mm512_set1_epi32(word));
}

// Transposes a 16 x 16 matrix of 32-bit values held as 16 rows: afterwards rows[i] holds what
// was column i. Four rounds of 16 shuffles.
RENDERMART_AVX512 inline void transpose16(__m512 (&rows)[16]) {
  __m512 pairs[16];
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) {
    pairs[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
    pairs[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
  }
  // quads[4g + m], 128-bit lane k: column 4k + m of rows 4g .. 4g + 3.
  __m512 quads[16];
#pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    const __m512* p = pairs + 4 * g;
    quads[4 * g + 0] = _mm512_shuffle_ps(p[0], p[2], 0x44);
    quads[4 * g + 1] = _mm512_shuffle_ps(p[0], p[2], 0xEE);
    quads[4 * g + 2] = _mm512_shuffle_ps(p[1], p[3], 0x44);
    quads[4 * g + 3] = _mm512_shuffle_ps(p[1], p[3], 0xEE);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    const __m512 even01 = _mm512_shuffle_f32x4(quads[m], quads[4 + m], 0x88);
    const __m512 odd01 = _mm512_shuffle_f32x4(quads[m], quads[4 + m], 0xDD);
    const __m512 even23 = _mm512_shuffle_f32x4(quads[8 + m], quads[12 + m], 0x88);
    const __m512 odd23 = _mm512_shuffle_f32x4(quads[8 + m], quads[12 + m], 0xDD);
    rows[m] = _mm512_shuffle_f32x4(even01, even23, 0x88);
    rows[4 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
    rows[8 + m] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
    rows[12 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
  }
}

}  // namespace rendermart::diffusion::simd

#endif
