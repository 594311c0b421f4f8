// The engine's caching allocator: freed large blocks come back for the same size, beyond the
// cache's 2 GB the blocks freed longest ago are the ones returned to the system, as they are when
// a new block would take the total beyond the peak of the tensors, and blocks taken under an
// UncachedScope are never cached.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>

#include "diffusion/caching_allocator.hpp"

namespace rendermart::diffusion {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;

// An untouched tensor of `mib` MiB (never written, so no page is faulted in).
at::Tensor block(std::int64_t mib) {
  return at::empty({mib * kMiB}, at::TensorOptions().dtype(at::kByte));
}

TEST(CachingAllocator, ReusesFreedBlocksOfTheSameSize) {
  install_caching_allocator();
  release_cached_memory();
  void* first = nullptr;
  {
    const at::Tensor t = block(3);
    first = t.data_ptr();
  }
  EXPECT_EQ(allocator_stats().cached_bytes, 3u * kMiB);
  const at::Tensor again = block(3);
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
}

TEST(CachingAllocator, EvictsTheBlocksFreedLongestAgo) {
  install_caching_allocator();
  release_cached_memory();
  // Three distinct sizes of 800 MiB or so, freed in order: 2.4 GiB is over the 2 GiB cache, so
  // the first one freed goes back to the system and the last two stay.
  void* last = nullptr;
  {
    at::Tensor a = block(800);
    at::Tensor b = block(801);
    at::Tensor c = block(802);
    last = c.data_ptr();
    a.reset();
    b.reset();
  }
  EXPECT_EQ(allocator_stats().cached_bytes, (801u + 802u) * kMiB);
  const at::Tensor reused = block(802);
  EXPECT_EQ(reused.data_ptr(), last);
  EXPECT_EQ(allocator_stats().cached_bytes, 801u * kMiB);
  release_cached_memory();
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
}

TEST(CachingAllocator, ANewSizeBeyondThePeakGivesBackCachedBlocksFirst) {
  install_caching_allocator();
  release_cached_memory();
  const auto stats = allocator_stats();
  const auto room =
      static_cast<std::int64_t>(stats.peak_in_use_bytes - stats.in_use_bytes) / kMiB + 100;
  {
    const at::Tensor high = block(room);  // the tensors' peak: what is in use now + room
  }
  {
    // Beside `high`, were it cached, it would go beyond the peak: `high` goes back first.
    const at::Tensor step = block(64);
  }
  EXPECT_EQ(allocator_stats().cached_bytes, 64u * kMiB);
  // Room below the peak beside the cache: the cache stays.
  const at::Tensor small = block(2);
  EXPECT_EQ(allocator_stats().cached_bytes, 64u * kMiB);
  // Beyond the peak beside the cache: the cache goes back first.
  const at::Tensor decode = block(room);
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
  release_cached_memory();
}

TEST(CachingAllocator, BlocksTakenUnderAnUncachedScopeGoBackToTheSystem) {
  install_caching_allocator();
  release_cached_memory();
  at::Tensor kept;
  {
    const UncachedScope loading;
    { const at::Tensor transient = block(5); }
    EXPECT_EQ(allocator_stats().cached_bytes, 0u);
    kept = block(6);
    { const UncachedScope nested; }
    const at::Tensor still_uncached = block(7);
  }
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
  const auto in_use = allocator_stats().in_use_bytes;
  kept.reset();  // a weight freed after its load, when its model is unloaded
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
  EXPECT_EQ(allocator_stats().in_use_bytes, in_use - 6u * kMiB);
  { const at::Tensor outside = block(5); }
  EXPECT_EQ(allocator_stats().cached_bytes, 5u * kMiB);
  release_cached_memory();
}

}  // namespace
}  // namespace rendermart::diffusion
