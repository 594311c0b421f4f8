// The kernels on the portable vector type: the level every CPU has.

#include "diffusion/kernels/kernel_libraries.hpp"

#include "diffusion/kernels/kernel_bodies.hpp"
#include "diffusion/kernels/simd_portable.hpp"

namespace rendermart::diffusion {

extern constinit const KernelTable kPortableKernels = kernel_table_of<simd::Portable>();

}  // namespace rendermart::diffusion
