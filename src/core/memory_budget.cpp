#include "core/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

namespace rendermart {
namespace {

// A cgroup limit file's value: a number of bytes, or "max" (none).
std::optional<std::uint64_t> read_limit(const char* path) {
  std::ifstream file(path);
  std::string text;
  if (!(file >> text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::uint64_t MemoryBudget::resolve(std::uint64_t usable) const {
  if (fraction > 0) return static_cast<std::uint64_t>(static_cast<double>(usable) * fraction);
  return bytes;
}

std::optional<MemoryBudget> parse_memory_budget(std::string_view text) {
  if (text.empty()) return std::nullopt;
  MemoryBudget budget;
  if (text.back() == '%') {
    double percent = 0;
    const auto number = text.substr(0, text.size() - 1);
    const auto [end, error] =
        std::from_chars(number.data(), number.data() + number.size(), percent);
    if (error != std::errc() || end != number.data() + number.size() || !(percent > 0) ||
        percent > 100) {
      return std::nullopt;
    }
    budget.fraction = percent / 100;
    return budget;
  }
  int shift = 0;
  switch (text.back()) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: break;
  }
  const auto number = shift > 0 ? text.substr(0, text.size() - 1) : text;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size() || value == 0 ||
      value > (UINT64_MAX >> shift)) {
    return std::nullopt;
  }
  budget.bytes = value << shift;
  return budget;
}

std::uint64_t usable_memory_bytes() {
  const auto pages = sysconf(_SC_PHYS_PAGES);
  const auto page_size = sysconf(_SC_PAGESIZE);
  std::uint64_t usable = pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) *
                                                          static_cast<std::uint64_t>(page_size)
                                                    : 0;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (const auto limit = read_limit(path); limit && *limit > 0) {
      usable = usable == 0 ? *limit : std::min(usable, *limit);
    }
  }
  return usable;
}

}  // namespace rendermart
