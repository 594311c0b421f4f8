// The kernels on 512-bit AVX-512 vectors, and the bfloat16 attention of AVX512-BF16. Everything
// below the target pragma is compiled for those instruction sets and may run only after
// kernel_isa() has said the CPU has them; the library headers come before it (see
// kernel_libraries.hpp). The float32 kernels contain no AVX512-BF16 instruction (GCC emits those
// only for their intrinsics), so kAvx512Kernels runs on any AVX-512 CPU.

#if defined(__x86_64__)

#include "diffusion/kernels/kernel_libraries.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx512bf16")
// GCC 12 warns about the deliberately undefined registers inside its own AVX-512 intrinsics once
// they are inlined (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "diffusion/kernels/kernel_bodies.hpp"
#include "diffusion/kernels/simd_avx512.hpp"

namespace rendermart::diffusion {
namespace {

constexpr KernelTable with_bfloat16_attention(KernelTable table) {
  table.bf16.attention = &attention_bf16<simd::Avx512Bf16>;
  return table;
}

}  // namespace

extern constinit const KernelTable kAvx512Kernels = kernel_table_of<simd::Avx512>();
extern constinit const KernelTable kAvx512Bf16Kernels =
    with_bfloat16_attention(kernel_table_of<simd::Avx512>());

}  // namespace rendermart::diffusion

#pragma GCC pop_options

#endif
