#pragma once

// The schema, as numbered migrations, in the dialect of each backend, side by side. A released
// migration is never edited: a change to the schema is a new migration appended at the end, with
// the next version number. Most changes read alike in both dialects (ALTER TABLE ... ADD COLUMN
// with TEXT, BIGINT, DOUBLE PRECISION or BOOLEAN, CREATE INDEX): such a migration gives one text
// for both.

#include <span>
#include <string_view>

namespace rendermart {

struct Migration {
  int version;  // 1, 2, 3, ... in order
  std::string_view name;
  // One or more statements, applied in one transaction.
  std::string_view sqlite;
  std::string_view postgres;
};

std::span<const Migration> migrations();

}  // namespace rendermart
