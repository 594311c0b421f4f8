#pragma once

// The AVX2 + FMA vector type of the kernels (see simd_portable.hpp for the interface every vector
// type offers). Include only from kernels_avx2.cpp, inside its target region.

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace rendermart::diffusion::simd {
namespace {

struct Avx2 {
  using V = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;

  // All ones in the lanes [0, count) for vmaskmovps; count may be negative or above 8.
  static __m256i first_lanes(std::int64_t count) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int n = static_cast<int>(std::clamp<std::int64_t>(count, 0, kLanes));
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
  }

  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static float reduce_add(V x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static V round(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

  // p · 2^n for whole n in [-125, 126]; 0 where `x` < -125 (x NaN keeps p).
  static V scale_or_zero(V p, V n, V x) {
    const __m256i exponent =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const V scaled = _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
    return _mm256_and_ps(scaled, _mm256_cmp_ps(x, _mm256_set1_ps(-125.0f), _CMP_NLT_UQ));
  }

  // 1 / d: vrcpps (12 bits) refined by one Newton step (about 2^-23), faster than a division.
  static V reciprocal(V d) {
    const V r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
  }

  static V load(const float* p) { return _mm256_loadu_ps(p); }
  // Lanes [0, count) from p, the others 0 and not read.
  static V load(const float* p, std::int64_t count) {
    return count >= kLanes ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, first_lanes(count));
  }
  static V load(const std::uint16_t* p) {
    return widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static V load(const std::uint16_t* p, std::int64_t count) {
    if (count >= kLanes) return load(p);
    std::uint16_t part[kLanes] = {};
    std::memcpy(part, p, static_cast<std::size_t>(std::max<std::int64_t>(count, 0)) * sizeof *p);
    return load(part);
  }

  static void store(float* p, V x) { _mm256_storeu_ps(p, x); }
  static void store(float* p, V x, std::int64_t count) {
    if (count >= kLanes) {
      _mm256_storeu_ps(p, x);
    } else {
      _mm256_maskstore_ps(p, first_lanes(count), x);
    }
  }
  static void store(std::uint16_t* p, V x) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), to_bfloat16(x));
  }
  static void store(std::uint16_t* p, V x, std::int64_t count) {
    if (count >= kLanes) return store(p, x);
    std::uint16_t part[kLanes];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(part), to_bfloat16(x));
    std::memcpy(p, part, static_cast<std::size_t>(std::max<std::int64_t>(count, 0)) * sizeof *p);
  }

  // The 32-bit word at p (any alignment) in every lane.
  static V broadcast_word(const void* p) {
    float word;
    std::memcpy(&word, p, sizeof word);
    return _mm256_set1_ps(word);
  }

  // Transposes an 8 x 8 matrix held as 8 rows: afterwards rows[i] holds what was column i.
  static void transpose(V (&rows)[kLanes]) {
    V pairs[8];
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
      pairs[i] = _mm256_unpacklo_ps(rows[i], rows[i + 1]);
      pairs[i + 1] = _mm256_unpackhi_ps(rows[i], rows[i + 1]);
    }
    // quads[4g + m], 128-bit lane k: column 4k + m of rows 4g .. 4g + 3.
    V quads[8];
#pragma GCC unroll 2
    for (int g = 0; g < 2; ++g) {
      const V* q = pairs + 4 * g;
      quads[4 * g + 0] = _mm256_shuffle_ps(q[0], q[2], 0x44);
      quads[4 * g + 1] = _mm256_shuffle_ps(q[0], q[2], 0xEE);
      quads[4 * g + 2] = _mm256_shuffle_ps(q[1], q[3], 0x44);
      quads[4 * g + 3] = _mm256_shuffle_ps(q[1], q[3], 0xEE);
    }
#pragma GCC unroll 4
    for (int m = 0; m < 4; ++m) {
      rows[m] = _mm256_permute2f128_ps(quads[m], quads[4 + m], 0x20);
      rows[4 + m] = _mm256_permute2f128_ps(quads[m], quads[4 + m], 0x31);
    }
  }

  // bfloat16 bits widened to float32 (exact).
  static V widen(__m128i bits) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
  }

  // Rounded to bfloat16 to nearest even like c10::BFloat16 (NaN stays a quiet NaN).
  static __m128i to_bfloat16(V x) {
    const __m256i bits = _mm256_castps_si256(x);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF)));
    rounded = _mm256_blendv_epi8(rounded, _mm256_set1_epi32(0x7FC00000),
                                 _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)));
    const __m256i high = _mm256_srli_epi32(rounded, 16);  // each below 2^16: packus keeps it
    return _mm_packus_epi32(_mm256_castsi256_si128(high), _mm256_extracti128_si256(high, 1));
  }
};

}  // namespace
}  // namespace rendermart::diffusion::simd

#endif
