#pragma once

#include <string>
#include <string_view>

namespace rendermart::sqlite {

// Turns search text typed by a user into an FTS5 query that always parses: every word (see
// store/search_terms.hpp) becomes a quoted prefix term, "word"* with any `"` doubled, and the
// terms are ANDed. FTS5 syntax in the input (AND, OR, NOT, NEAR, `*`, `^`, `-`, `:`, parentheses)
// is thereby only ever text to find. Returns "" when the text has no words.
//
// A word without letters, digits or symbols (e.g. "-" or "—") tokenizes to nothing: FTS5 then
// ignores it beside other terms, and a query made only of such words matches no rows. Emoji are
// symbols, so they are words that can be found.
std::string fts5_query(std::string_view text);

}  // namespace rendermart::sqlite
