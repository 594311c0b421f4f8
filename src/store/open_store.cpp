#include <filesystem>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/private_files.hpp"
#include "store/account_changes.hpp"
#include "store/postgres/pg_account_changes.hpp"
#include "store/postgres/pg_job_events.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace rendermart {
namespace {

constexpr std::string_view kAcceptedForms =
    "use sqlite:///absolute/path.db, sqlite://relative/path.db, sqlite::memory: or "
    "postgres://user:password@host:5432/database";

bool is_postgres(const std::string& url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

Error bad_url(std::string_view problem) {
  return invalid_argument("database_url", fmt::format("{}; {}", problem, kAcceptedForms));
}

// The database file's directory is created, so that a fresh machine needs no setup. Both are
// private to this account (0700, 0600); SQLite gives its -wal and -shm files the database
// file's mode.
std::unique_ptr<Store> open_sqlite_file(const std::string& path) {
  if (path.empty()) throw bad_url("the database URL names no file");
  try {
    create_private_directories(std::filesystem::path(path).parent_path());
    create_private_file(path);
  } catch (const std::filesystem::filesystem_error& error) {
    throw Error(ErrorCode::unavailable,
                fmt::format("cannot create the database {}: {}; create its folder, or point the "
                            "database URL elsewhere",
                            path, error.code().message()));
  }
  return std::make_unique<SqliteStore>(path);
}

}  // namespace

// "sqlite:///abs/path.db" has an empty authority and an absolute path; "sqlite://rel/path.db"
// is read as a path relative to the working directory (not as a host name), the form the
// zero-configuration default uses.
std::unique_ptr<Store> open_store(const std::string& url) {
  constexpr std::string_view kMemory = "sqlite::memory:";
  constexpr std::string_view kSqlite = "sqlite://";
  if (url == kMemory) return std::make_unique<SqliteStore>(":memory:");
  if (url.starts_with(kSqlite)) return open_sqlite_file(url.substr(kSqlite.size()));
  // libpq reads the URL itself (host, port, database, user, password, parameters).
  if (is_postgres(url)) return std::make_unique<PgStore>(url);
  // The URL is not echoed: a database URL may carry a password.
  const auto colon = url.find(':');
  throw bad_url(
      colon == std::string::npos
          ? std::string("the database URL has no scheme")
          : fmt::format("the database URL scheme '{}' is not supported", url.substr(0, colon)));
}

std::unique_ptr<JobEvents> open_job_events(const std::string& url) {
  if (is_postgres(url)) return std::make_unique<PostgresJobEvents>(url);
  return std::make_unique<InProcessJobEvents>();
}

std::unique_ptr<AccountChanges> watch_account_changes(const std::string& database_url,
                                                      const AccountChangeHandlers& handlers) {
  if (!is_postgres(database_url)) return nullptr;
  return std::make_unique<PostgresAccountChanges>(database_url, handlers);
}

}  // namespace rendermart
