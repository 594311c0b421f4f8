#pragma once

// A memory budget as people write it, and the memory it is a share of.

#include <cstdint>
#include <optional>
#include <string_view>

namespace rendermart {

// Either a share of the memory this process may use ("60%"), or a size in bytes with an optional
// K, M, G or T suffix (powers of 1024: "12G", "512M", "8000000000").
struct MemoryBudget {
  double fraction = 0;      // 0 < fraction <= 1 when the budget is a share
  std::uint64_t bytes = 0;  // when it is a size
  // The budget in bytes when `usable` bytes are what the process may use.
  std::uint64_t resolve(std::uint64_t usable) const;
};

// Nothing when the text is neither: the caller says what the setting expects.
std::optional<MemoryBudget> parse_memory_budget(std::string_view text);

// What this process may use: its cgroup's memory limit (a container's: cgroup v2 memory.max or
// v1 memory.limit_in_bytes) when there is one below the machine's RAM, else the RAM.
std::uint64_t usable_memory_bytes();

}  // namespace rendermart
