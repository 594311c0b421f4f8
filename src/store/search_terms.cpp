#include "store/search_terms.hpp"

namespace rendermart {
namespace {

bool is_separator(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

}  // namespace

std::vector<std::string_view> search_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (is_separator(text[pos])) {
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    while (pos < text.size() && !is_separator(text[pos])) ++pos;
    words.push_back(text.substr(start, pos - start));
  }
  return words;
}

}  // namespace rendermart
