#include "diffusion/kernels/kernel_isa.hpp"

#include <algorithm>
#include <atomic>

namespace rendermart::diffusion {
namespace {

KernelIsa detect_isa() {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 registers (XCR0).
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512 && __builtin_cpu_supports("avx512bf16")) return KernelIsa::avx512_bf16;
  if (avx512) return KernelIsa::avx512;
#endif
  return KernelIsa::portable;
}

std::atomic<KernelIsa> isa_limit{KernelIsa::avx512_bf16};

}  // namespace

KernelIsa kernel_isa() {
  static const KernelIsa detected = detect_isa();
  return std::min(detected, isa_limit.load(std::memory_order_relaxed));
}

void limit_kernel_isa(KernelIsa limit) { isa_limit.store(limit, std::memory_order_relaxed); }

}  // namespace rendermart::diffusion
