#pragma once

// The words of a search typed by a user, as both Store backends read them: runs of bytes other
// than ASCII whitespace and control characters. NUL especially separates: both FTS5 and
// PostgreSQL read query text as C strings. Each backend then turns every word into a quoted
// prefix term and ANDs them, so that query syntax in the input is only ever text to find.

#include <string_view>
#include <vector>

namespace rendermart {

// The views point into `text`, in order; empty when the text has no words.
std::vector<std::string_view> search_words(std::string_view text);

}  // namespace rendermart
