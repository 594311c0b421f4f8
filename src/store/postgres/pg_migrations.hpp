#pragma once

// The PostgreSQL schema, as numbered migrations: the SQLite schema (store/sqlite/migrations.cpp)
// in PostgreSQL's dialect. A released migration is never edited: a change to the schema is a new
// migration appended at the end, with the next version number.

#include <span>
#include <string_view>

namespace rendermart::pg {

struct Migration {
  int version;  // 1, 2, 3, ... in order
  std::string_view name;
  std::string_view sql;  // one or more statements, applied in one transaction
};

std::span<const Migration> migrations();

// The key of the advisory lock that migrate() holds, so that replicas starting together apply
// each migration once. Advisory locks are per database.
inline constexpr long long kMigrationLockKey = 0x72656e6465726d;  // "renderm"

// The text search configuration behind prompt search (created by migration 1).
inline constexpr std::string_view kSearchConfig = "rendermart_search";

}  // namespace rendermart::pg
