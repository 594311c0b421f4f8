#pragma once

#include <optional>
#include <string_view>

namespace rendermart::diffusion {

// The instruction sets the fused CPU kernels can use, weakest first. Every kernel is written once
// over a vector type (simd_*.hpp) and compiled once per level, each level in its own file with its
// own target options, so one binary serves every x86-64 CPU; other architectures have `portable`.
enum class KernelIsa {
  portable,     // GCC's generic 128-bit vectors: SSE2 on x86-64, NEON on arm64
  avx2,         // AVX2 + FMA, 256-bit vectors
  avx512,       // AVX-512 F/BW/DQ/VL, 512-bit vectors
  avx512_bf16,  // plus AVX512-BF16: bfloat16 attention with vdpbf16ps, and bfloat16 models
};

// The best level this CPU and OS support. Thread-safe.
KernelIsa detected_kernel_isa();

// detected_kernel_isa() capped by limit_kernel_isa. Thread-safe.
KernelIsa kernel_isa();

// Caps kernel_isa() for the whole process (RENDERMART_CPU_ISA, tests and benchmarks); a cap above
// what the CPU has changes nothing. Thread-safe; affects calls that start afterwards.
void limit_kernel_isa(KernelIsa limit);

// "portable", "avx2", "avx512", "avx512_bf16".
std::string_view kernel_isa_name(KernelIsa isa);
// The level of that name, or nothing.
std::optional<KernelIsa> kernel_isa_from_name(std::string_view name);

}  // namespace rendermart::diffusion
