#pragma once

// The SQLite schema, as numbered migrations. A released migration is never edited: a change to
// the schema is a new migration appended at the end, with the next version number.

#include <span>
#include <string_view>

namespace rendermart::sqlite {

struct Migration {
  int version;  // 1, 2, 3, ... in order
  std::string_view name;
  std::string_view sql;  // one or more statements, applied in one transaction
};

std::span<const Migration> migrations();

}  // namespace rendermart::sqlite
