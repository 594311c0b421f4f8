// The kernels on 256-bit AVX2 + FMA vectors. Everything below the target pragma is compiled for
// that instruction set and may run only after kernel_isa() has said the CPU has it; the library
// headers come before it (kernel_libraries.hpp).

#if defined(__x86_64__)

#include "diffusion/kernels/kernel_libraries.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "diffusion/kernels/kernel_bodies.hpp"
#include "diffusion/kernels/simd_avx2.hpp"

namespace rendermart::diffusion {

extern constinit const KernelTable kAvx2Kernels = kernel_table_of<simd::Avx2>();

}  // namespace rendermart::diffusion

#pragma GCC pop_options

#endif
