#pragma once

// Process-wide settings the engine needs to be fast with Debian's libtorch, applied by the engine
// itself so that nobody has to know them: intra-op threads (libtorch defaults to 1), AVX-512
// kernels where the CPU has them (libtorch picks AVX2 unless told), the caching allocator (4 KB
// page faults), and a warning when fp32 matrix products would run on the reference BLAS. Torch-free
// header.

#include <cstddef>
#include <string>

namespace rendermart::diffusion {

// Applies the settings; call before any other engine function. threads 0: one per CPU core. Later
// calls only change the thread count. Returns a line describing the runtime, for the log.
std::string configure_runtime(int threads);

struct MemoryUsage {
  std::size_t resident_bytes = 0;       // the process's RSS now
  std::size_t peak_resident_bytes = 0;  // its high-water mark
  std::size_t tensor_bytes = 0;         // large tensor blocks in use (activations, converted weights)
  std::size_t peak_tensor_bytes = 0;
  std::size_t cached_bytes = 0;         // blocks kept for reuse
};
MemoryUsage memory_usage();

}  // namespace rendermart::diffusion
