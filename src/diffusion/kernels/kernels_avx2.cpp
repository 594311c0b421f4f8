// The kernels on 256-bit AVX2 + FMA vectors. Everything below the target pragma is compiled for
// that instruction set and may run only after kernel_isa() has said the CPU has it; the library
// headers come before it, so that none of their inline functions is compiled for AVX2 (the linker
// keeps one copy of each, which other files call on any CPU).

#if defined(__x86_64__)

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/thread_scratch.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "diffusion/kernels/simd_avx2.hpp"
#include "diffusion/kernels/kernel_bodies.hpp"

namespace rendermart::diffusion {

extern constinit const KernelTable kAvx2Kernels = kernel_table_of<simd::Avx2>();

}  // namespace rendermart::diffusion

#pragma GCC pop_options

#endif
