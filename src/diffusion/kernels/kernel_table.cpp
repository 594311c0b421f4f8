#include "diffusion/kernels/kernel_table.hpp"

namespace rendermart::diffusion {

// Defined in kernels_portable.cpp, kernels_avx2.cpp and kernels_avx512.cpp.
extern const KernelTable kPortableKernels;
#if defined(__x86_64__)
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;
extern const KernelTable kAvx512Bf16Kernels;
#endif

const KernelTable& kernel_table(KernelIsa isa) {
#if defined(__x86_64__)
  switch (isa) {
    case KernelIsa::avx512_bf16: return kAvx512Bf16Kernels;
    case KernelIsa::avx512: return kAvx512Kernels;
    case KernelIsa::avx2: return kAvx2Kernels;
    case KernelIsa::portable: break;
  }
#else
  (void)isa;
#endif
  return kPortableKernels;
}

}  // namespace rendermart::diffusion
