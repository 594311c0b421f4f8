#include "store/sqlite/fts_query.hpp"

namespace rendermart::sqlite {
namespace {

// Separators: ASCII whitespace and control characters. NUL especially must go: FTS5 reads its
// query as a C string and would see an unterminated quote.
bool is_separator(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

}  // namespace

std::string fts5_query(std::string_view text) {
  std::string query;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (is_separator(text[pos])) {
      ++pos;
      continue;
    }
    if (!query.empty()) query += ' ';
    query += '"';
    for (; pos < text.size() && !is_separator(text[pos]); ++pos) {
      if (text[pos] == '"') query += '"';
      query += text[pos];
    }
    query += "\"*";
  }
  return query;
}

}  // namespace rendermart::sqlite
