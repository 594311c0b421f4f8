#pragma once

// The portable vector type of the kernels: GCC's generic 128-bit vectors, which become SSE2 on
// x86-64 and NEON on arm64. Include only from kernels_portable.cpp.
//
// Every vector type S (this one, simd::Avx2, simd::Avx512) offers the same interface:
//   S::V, S::kLanes (floats in a V), S::kRegisters (vector registers of the ISA);
//   zero(), set1(x), fmadd(a, b, c) = a·b + c, fmsub(a, b, c) = a·b - c, fnmadd(a, b, c) = c - a·b,
//   max, min, reduce_add (sum of the lanes), round (to nearest),
//   scale_or_zero(p, n, x) = p·2^n for whole n in [-125, 126], or 0 where x < -125,
//   reciprocal(d) (to about 2^-23),
//   load(p) and load(p, count) from float or bfloat16 (std::uint16_t) memory, widened to float:
//     the lanes [0, count), the others 0 and not read; count may be <= 0 or > kLanes;
//   store(p, x) and store(p, x, count) to float or bfloat16 (rounded to nearest even);
//   broadcast_word(p): the 32 bits at p in every lane;
//   transpose(V (&rows)[kLanes]): rows[i] becomes what was column i.
// V supports +, -, * and / (GCC vector arithmetic).

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace rendermart::diffusion::simd {
namespace {

struct Portable {
  using V = float __attribute__((vector_size(16)));
  using Bits = std::uint32_t __attribute__((vector_size(16)));
  static constexpr int kLanes = 4;
  static constexpr int kRegisters = 16;

  static V zero() { return V{}; }
  static V set1(float x) { return V{} + x; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V fmsub(V a, V b, V c) { return a * b - c; }
  static V fnmadd(V a, V b, V c) { return c - a * b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V min(V a, V b) { return a < b ? a : b; }
  static float reduce_add(V x) { return (x[0] + x[1]) + (x[2] + x[3]); }
  // Adding and subtracting 1.5 * 2^23 rounds a float below 2^22 in magnitude to a whole number
  // (to nearest even, the default rounding mode).
  static V round(V x) {
    const V magic = set1(12582912.0f);
    return (x + magic) - magic;
  }

  static V scale_or_zero(V p, V n, V x) {
    using Whole = std::int32_t __attribute__((vector_size(16)));
    const Bits exponent = __builtin_bit_cast(Bits, __builtin_convertvector(n, Whole) + 127) << 23;
    const Bits scaled = __builtin_bit_cast(Bits, p * __builtin_bit_cast(V, exponent));
    const Bits keep = __builtin_bit_cast(Bits, (x >= -125.0f) | (x != x));  // NaN keeps p
    return __builtin_bit_cast(V, scaled & keep);
  }

  static V reciprocal(V d) { return 1.0f / d; }

  static V load(const float* p) { return load(p, kLanes); }
  static V load(const float* p, std::int64_t count) {
    V x{};
    std::memcpy(&x, p, lanes(count) * sizeof(float));
    return x;
  }
  static V load(const std::uint16_t* p) { return load(p, kLanes); }
  static V load(const std::uint16_t* p, std::int64_t count) {
    std::uint16_t part[kLanes] = {};
    std::memcpy(part, p, lanes(count) * sizeof *p);
    const Bits bits{part[0], part[1], part[2], part[3]};
    return __builtin_bit_cast(V, bits << 16);
  }

  static void store(float* p, V x) { store(p, x, kLanes); }
  static void store(float* p, V x, std::int64_t count) {
    std::memcpy(p, &x, lanes(count) * sizeof(float));
  }
  static void store(std::uint16_t* p, V x) { store(p, x, kLanes); }
  // Rounded to nearest even like c10::BFloat16 (NaN stays a quiet NaN).
  static void store(std::uint16_t* p, V x, std::int64_t count) {
    const Bits bits = __builtin_bit_cast(Bits, x);
    Bits rounded = bits + ((bits >> 16) & 1u) + 0x7FFFu;
    rounded = x != x ? Bits{} + 0x7FC00000u : rounded;
    std::uint16_t part[kLanes];
    for (int i = 0; i < kLanes; ++i) part[i] = static_cast<std::uint16_t>(rounded[i] >> 16);
    std::memcpy(p, part, lanes(count) * sizeof *p);
  }

  static V broadcast_word(const void* p) {
    float word;
    std::memcpy(&word, p, sizeof word);
    return set1(word);
  }

  static void transpose(V (&rows)[kLanes]) {
    const V copy[kLanes] = {rows[0], rows[1], rows[2], rows[3]};
    for (int i = 0; i < kLanes; ++i) rows[i] = V{copy[0][i], copy[1][i], copy[2][i], copy[3][i]};
  }

 private:
  static std::size_t lanes(std::int64_t count) {
    return static_cast<std::size_t>(std::clamp<std::int64_t>(count, 0, kLanes));
  }
};

}  // namespace
}  // namespace rendermart::diffusion::simd
