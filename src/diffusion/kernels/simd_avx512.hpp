#pragma once

// The AVX-512 vector type of the kernels (see simd_portable.hpp for the interface every vector
// type offers). Include only from kernels_avx512.cpp, inside its target region.

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace rendermart::diffusion::simd {
namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;

  // The lanes [0, count) of a vector; count may be negative or above 16.
  static __mmask16 first_lanes(std::int64_t count) {
    if (count >= kLanes) return 0xFFFF;
    if (count <= 0) return 0;
    return static_cast<__mmask16>((1u << count) - 1u);
  }

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static float reduce_add(V x) { return _mm512_reduce_add_ps(x); }
  static V round(V x) {
    return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }

  // p · 2^n for whole n in [-125, 126]; 0 where `x` < -125 (x NaN keeps p).
  static V scale_or_zero(V p, V n, V x) {
    const __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-125.0f), _CMP_NLT_UQ);
    return _mm512_maskz_scalef_ps(keep, p, n);
  }

  // 1 / d: vrcp14ps refined by one Newton step (error about 2^-28), several times the throughput
  // of a division.
  static V reciprocal(V d) {
    const V r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
  }

  static V load(const float* p) { return _mm512_loadu_ps(p); }
  // Lanes [0, count) from p, the others 0 and not read.
  static V load(const float* p, std::int64_t count) {
    return _mm512_maskz_loadu_ps(first_lanes(count), p);
  }
  static V load(const std::uint16_t* p) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static V load(const std::uint16_t* p, std::int64_t count) {
    return widen(_mm256_maskz_loadu_epi16(first_lanes(count), p));
  }

  static void store(float* p, V x) { _mm512_storeu_ps(p, x); }
  static void store(float* p, V x, std::int64_t count) {
    _mm512_mask_storeu_ps(p, first_lanes(count), x);
  }
  static void store(std::uint16_t* p, V x) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), to_bfloat16(x));
  }
  static void store(std::uint16_t* p, V x, std::int64_t count) {
    _mm256_mask_storeu_epi16(p, first_lanes(count), to_bfloat16(x));
  }

  // The 32-bit word at p (any alignment) in every lane.
  static V broadcast_word(const void* p) {
    std::int32_t word;
    std::memcpy(&word, p, sizeof word);
    return _mm512_castsi512_ps(_mm512_set1_epi32(word));
  }

  // Transposes a 16 x 16 matrix held as 16 rows: afterwards rows[i] holds what was column i.
  // Four rounds of 16 shuffles.
  static void transpose(V (&rows)[kLanes]) {
    V pairs[16];
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
      pairs[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
      pairs[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    // quads[4g + m], 128-bit lane k: column 4k + m of rows 4g .. 4g + 3.
    V quads[16];
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      const V* q = pairs + 4 * g;
      quads[4 * g + 0] = _mm512_shuffle_ps(q[0], q[2], 0x44);
      quads[4 * g + 1] = _mm512_shuffle_ps(q[0], q[2], 0xEE);
      quads[4 * g + 2] = _mm512_shuffle_ps(q[1], q[3], 0x44);
      quads[4 * g + 3] = _mm512_shuffle_ps(q[1], q[3], 0xEE);
    }
#pragma GCC unroll 4
    for (int m = 0; m < 4; ++m) {
      const V even01 = _mm512_shuffle_f32x4(quads[m], quads[4 + m], 0x88);
      const V odd01 = _mm512_shuffle_f32x4(quads[m], quads[4 + m], 0xDD);
      const V even23 = _mm512_shuffle_f32x4(quads[8 + m], quads[12 + m], 0x88);
      const V odd23 = _mm512_shuffle_f32x4(quads[8 + m], quads[12 + m], 0xDD);
      rows[m] = _mm512_shuffle_f32x4(even01, even23, 0x88);
      rows[4 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
      rows[8 + m] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
      rows[12 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
    }
  }

  // bfloat16 bits widened to float32 (exact).
  static V widen(__m256i bits) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
  }

  // Rounded to bfloat16 to nearest even like c10::BFloat16 (NaN stays a quiet NaN). The high
  // halves are gathered with vpermw: a masked vpmovdw to memory is slow on AMD cores.
  static __m256i to_bfloat16(V x) {
    const __m512i bits = _mm512_castps_si512(x);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF)));
    rounded = _mm512_mask_mov_epi32(rounded, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q),
                                    _mm512_set1_epi32(0x7FC00000));
    const __m512i high_halves =
        _mm512_set_epi16(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1, 31, 29, 27, 25,
                         23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_castsi512_si256(_mm512_permutexvar_epi16(high_halves, rounded));
  }
};

// AVX-512 with AVX512-BF16: a 32-bit word holds two bfloat16 values adjacent in a reduction, and
// vdpbf16ps multiplies two such words and adds both products into a float32 lane.
struct Avx512Bf16 : Avx512 {
  static V dot_pairs(V acc, V a, V b) {
    return _mm512_dpbf16_ps(acc, __builtin_bit_cast(__m512bh, a), __builtin_bit_cast(__m512bh, b));
  }

  // Words whose low half is `first` and high half `second`, each rounded to bfloat16, stored at p.
  static void store_pairs(float* p, V first, V second) {
    // vpermw index: word 2i takes the first vector's lane i, word 2i+1 the second's.
    const __m512i interleave =
        _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i halves = __builtin_bit_cast(__m512i, _mm512_cvtne2ps_pbh(second, first));
    _mm512_storeu_si512(p, _mm512_permutexvar_epi16(interleave, halves));
  }

  // out[c] = low[c] | high[c] << 16 for c in [0, count), high null for zeros.
  static void interleave_pairs(const std::uint16_t* low, const std::uint16_t* high,
                               std::int64_t count, std::uint32_t* out) {
    for (std::int64_t c = 0; c < count; c += kLanes) {
      const __mmask16 mask = first_lanes(count - c);
      const __m512i even = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, low + c));
      const __m512i odd = high ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, high + c))
                               : _mm512_setzero_si512();
      _mm512_mask_storeu_epi32(out + c, mask, _mm512_or_si512(even, _mm512_slli_epi32(odd, 16)));
    }
  }
};

}  // namespace
}  // namespace rendermart::diffusion::simd

#endif
