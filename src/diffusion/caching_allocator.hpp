#pragma once

// torch's CPU allocator, replaced for the engine: large blocks (activations) are kept when freed
// and handed out again for the same size, so that every UNet step after the first reuses memory
// that is already mapped, instead of paying for fresh 4 KB page faults (costly in VMs: a 537 MB
// working set took ~0.9 s to touch). New large blocks are mapped with transparent huge pages
// requested (madvise), which the kernel grants in its default "madvise" mode.

#include <cstddef>

namespace rendermart::diffusion {

struct AllocatorStats {
  std::size_t in_use_bytes = 0;  // large blocks held by tensors
  std::size_t cached_bytes = 0;  // large blocks kept for reuse
  std::size_t peak_in_use_bytes = 0;
};

// Installs the allocator for torch's CPU tensors (once; later calls do nothing). Thread-safe.
void install_caching_allocator();
AllocatorStats allocator_stats();
// Returns the cached blocks to the system.
void release_cached_memory();

}  // namespace rendermart::diffusion
