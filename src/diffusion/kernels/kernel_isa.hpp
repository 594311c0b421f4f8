#pragma once

namespace rendermart::diffusion {

// The instruction sets the fused CPU kernels can use, weakest first. The kernels are compiled for
// generic x86-64 plus AVX-512 functions that run only after a run-time CPU check, so one binary
// serves every x86-64 CPU (and other architectures, where only `portable` exists).
enum class KernelIsa {
  portable,     // plain torch ops
  avx512,       // AVX-512 F/BW/DQ/VL: float32 attention, GroupNorm in both dtypes
  avx512_bf16,  // plus AVX512-BF16: bfloat16 attention with vdpbf16ps
};

// The best instruction set this CPU and OS support, capped by limit_kernel_isa. Thread-safe.
KernelIsa kernel_isa();

// Caps kernel_isa() for the whole process (tests and benchmarks force the portable path with
// it); KernelIsa::avx512_bf16 removes the cap. Thread-safe; affects calls that start afterwards.
void limit_kernel_isa(KernelIsa limit);

}  // namespace rendermart::diffusion
