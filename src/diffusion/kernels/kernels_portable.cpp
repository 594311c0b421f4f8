// The kernels on the portable vector type: the level every CPU has.

#include <ATen/Parallel.h>

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

#include "diffusion/kernels/simd_portable.hpp"
#include "diffusion/kernels/kernel_bodies.hpp"

namespace rendermart::diffusion {

extern constinit const KernelTable kPortableKernels = kernel_table_of<simd::Portable>();

}  // namespace rendermart::diffusion
