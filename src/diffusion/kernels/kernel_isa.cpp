#include "diffusion/kernels/kernel_isa.hpp"

#include <algorithm>
#include <atomic>

namespace rendermart::diffusion {
namespace {

KernelIsa detect_isa() {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks that the OS saves the AVX and AVX-512 registers (XCR0).
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512 && __builtin_cpu_supports("avx512bf16")) return KernelIsa::avx512_bf16;
  if (avx512) return KernelIsa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KernelIsa::avx2;
#endif
  return KernelIsa::portable;
}

std::atomic<KernelIsa> isa_limit{KernelIsa::avx512_bf16};

constexpr std::string_view kNames[] = {"portable", "avx2", "avx512", "avx512_bf16"};

}  // namespace

KernelIsa detected_kernel_isa() {
  static const KernelIsa detected = detect_isa();
  return detected;
}

KernelIsa kernel_isa() {
  return std::min(detected_kernel_isa(), isa_limit.load(std::memory_order_relaxed));
}

void limit_kernel_isa(KernelIsa limit) { isa_limit.store(limit, std::memory_order_relaxed); }

std::string_view kernel_isa_name(KernelIsa isa) { return kNames[static_cast<int>(isa)]; }

std::optional<KernelIsa> kernel_isa_from_name(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i) {
    if (kNames[i] == name) return static_cast<KernelIsa>(i);
  }
  return std::nullopt;
}

}  // namespace rendermart::diffusion
