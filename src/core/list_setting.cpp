#include "core/list_setting.hpp"

#include <algorithm>

namespace rendermart {

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(separator, start), text.size());
    auto item = text.substr(start, end - start);
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
      items.emplace_back(item);
    }
    start = end + 1;
  }
  return items;
}

}  // namespace rendermart
