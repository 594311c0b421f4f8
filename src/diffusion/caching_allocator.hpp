#pragma once

// torch's CPU allocator, replaced for the engine: large blocks (activations) are kept when freed
// and handed out again for the same size, so that every UNet step after the first reuses memory
// that is already mapped, instead of paying for fresh 4 KB page faults (costly in VMs: a 537 MB
// working set took ~0.9 s to touch). New large blocks are mapped with transparent huge pages
// requested (madvise), which the kernel grants in its default "madvise" mode. A new block is
// mapped only after the cached blocks that would take the total beyond the most the tensors ever
// held at once have gone back to the system, oldest first.

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

// While one is alive on a thread, the large blocks that thread allocates are never cached when
// freed, whichever thread frees them. A model loads under one: what loading frees (weights read
// in float32 before their conversion, before their packing) has sizes no generation asks for, and
// cached it would sit beside the weights, up to the cache's 2 GB above them at the end of a load;
// the weights themselves go back to the system when their model is unloaded. Scopes nest.
class UncachedScope {
 public:
  UncachedScope();
  ~UncachedScope();
  UncachedScope(const UncachedScope&) = delete;
  UncachedScope& operator=(const UncachedScope&) = delete;
};

}  // namespace rendermart::diffusion
