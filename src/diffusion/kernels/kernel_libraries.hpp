#pragma once

// Every library header the kernel bodies use. The per-ISA kernel files include it before their
// target pragma, so that no inline function of these libraries is compiled for a wider
// instruction set (the linker keeps one copy of each, which other files call on any CPU); a body
// that needs another library header adds it here.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/thread_scratch.hpp"
