#include "store/sqlite/fts_query.hpp"

#include "store/search_terms.hpp"

namespace rendermart::sqlite {

std::string fts5_query(std::string_view text) {
  std::string query;
  for (const std::string_view word : search_words(text)) {
    if (!query.empty()) query += ' ';
    query += '"';
    for (const char c : word) {
      if (c == '"') query += '"';
      query += c;
    }
    query += "\"*";
  }
  return query;
}

}  // namespace rendermart::sqlite
