#include "diffusion/caching_allocator.hpp"

#include <sys/mman.h>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace rendermart::diffusion {
namespace {

// Blocks from this size on are mapped and cached; smaller ones go to malloc's heap. glibc would
// serve the sizes in between (the text encoder's 77-token activations, 0.1-1 MB) with a fresh
// mmap each time, and its page faults made the text encoder twice as slow.
constexpr std::size_t kLargeBlock = std::size_t{1} << 16;
// Large sizes are rounded up to this, so that equal shapes meet equal blocks.
constexpr std::size_t kGranularity = std::size_t{64} << 10;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
// Beyond this many cached bytes the blocks freed longest ago go back to the system (a change of
// image size must not pin the old size's blocks forever, and the blocks of the current work, say
// a UNet step after a VAE decode, must stay). 2 GB holds the distinct blocks of a 512x512 VAE
// decode's last stage (128 and 256 MB each, about 1.5 GB): with 1 GB that decode was 10% slower
// and the peak RSS of SD-Turbo in float32 6.4 GiB instead of 7.0 (docs/benchmarks.md).
constexpr std::size_t kMaxCachedBytes = std::size_t{2} << 30;
constexpr std::size_t kAlignment = 64;

// How many UncachedScopes are alive on this thread.
thread_local int uncached_scopes = 0;

class CachingAllocator final : public c10::Allocator {
 public:
  // The context of every DataPtr is its data pointer (torch's raw_allocate requires it), so the
  // size of a large block is looked up when it comes back.
  c10::DataPtr allocate(std::size_t bytes) const override {
    void* data = nullptr;
    if (bytes < kLargeBlock) {
      if (posix_memalign(&data, kAlignment, bytes == 0 ? kAlignment : bytes) != 0) {
        throw std::bad_alloc();
      }
    } else {
      data = take((bytes + kGranularity - 1) / kGranularity * kGranularity);
    }
    return {data, data, &CachingAllocator::free_block, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &CachingAllocator::free_block; }

  AllocatorStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  void release() {
    std::lock_guard lock(mutex_);
    for (const auto& block : freed_) ::munmap(block.data, block.size);
    freed_.clear();
    free_.clear();
    stats_.cached_bytes = 0;
  }

  static CachingAllocator& instance() {
    // Never destroyed: tensors freed during exit still come back here.
    static auto* allocator = new CachingAllocator();
    return *allocator;
  }

 private:
  static void free_block(void* data) {
    if (!instance().give_back(data)) std::free(data);
  }

  void* take(std::size_t size) const {
    {
      std::lock_guard lock(mutex_);
      const auto it = free_.find(size);
      if (it != free_.end()) {
        void* data = it->second->data;
        freed_.erase(it->second);
        free_.erase(it);
        stats_.cached_bytes -= size;
        note_in_use(data, {size, uncached_scopes == 0});
        return data;
      }
      // Mapping more memory while blocks of other sizes sit cached would hold both at once:
      // after a UNet step, a VAE decode's blocks beside the step's, which SDXL's float32 VAE
      // took to 1.31x the weights of a bfloat16 model. The blocks cached longest ago go back
      // first, so that the mapped total stays within the most the tensors ever held at once.
      while (stats_.cached_bytes > 0 &&
             stats_.in_use_bytes + stats_.cached_bytes + size > stats_.peak_in_use_bytes) {
        evict_oldest();
      }
    }
    void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) throw std::bad_alloc();
    if (size >= kHugePage) ::madvise(data, size, MADV_HUGEPAGE);
    std::lock_guard lock(mutex_);
    note_in_use(data, {size, uncached_scopes == 0});
    return data;
  }

  // False when `data` is not a large block (then it came from posix_memalign).
  bool give_back(void* data) {
    std::lock_guard lock(mutex_);
    const auto it = in_use_.find(data);
    if (it == in_use_.end()) return false;
    const auto [size, cache] = it->second;
    in_use_.erase(it);
    stats_.in_use_bytes -= size;
    if (!cache) {
      ::munmap(data, size);
      return true;
    }
    freed_.push_front({size, data});
    free_.emplace(size, freed_.begin());
    stats_.cached_bytes += size;
    while (stats_.cached_bytes > kMaxCachedBytes) evict_oldest();
    return true;
  }

  void evict_oldest() const {
    const CachedBlock oldest = freed_.back();
    auto [first, last] = free_.equal_range(oldest.size);
    for (auto entry = first; entry != last; ++entry) {
      if (entry->second->data == oldest.data) {
        free_.erase(entry);
        break;
      }
    }
    freed_.pop_back();
    stats_.cached_bytes -= oldest.size;
    ::munmap(oldest.data, oldest.size);
  }

  struct Block {
    std::size_t size;
    bool cache;  // kept for reuse when freed; false for blocks taken under an UncachedScope
  };

  void note_in_use(void* data, Block block) const {
    in_use_.emplace(data, block);
    stats_.in_use_bytes += block.size;
    if (stats_.in_use_bytes > stats_.peak_in_use_bytes)
      stats_.peak_in_use_bytes = stats_.in_use_bytes;
  }

  struct CachedBlock {
    std::size_t size;
    void* data;
  };

  mutable std::mutex mutex_;
  mutable std::list<CachedBlock> freed_;  // cached blocks, most recently freed first
  mutable std::multimap<std::size_t, std::list<CachedBlock>::iterator> free_;  // the same, by size
  mutable std::unordered_map<void*, Block> in_use_;  // large blocks held by tensors
  mutable AllocatorStats stats_;
};

}  // namespace

void install_caching_allocator() {
  static std::once_flag once;
  std::call_once(
      once, [] { c10::SetAllocator(c10::DeviceType::CPU, &CachingAllocator::instance(), 10); });
}

AllocatorStats allocator_stats() { return CachingAllocator::instance().stats(); }

void release_cached_memory() { CachingAllocator::instance().release(); }

UncachedScope::UncachedScope() { ++uncached_scopes; }

UncachedScope::~UncachedScope() { --uncached_scopes; }

}  // namespace rendermart::diffusion
