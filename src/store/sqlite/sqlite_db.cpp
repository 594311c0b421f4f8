#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "core/error.hpp"

namespace rendermart::sqlite {
namespace {

// Statement text in internal errors: enough to find the query, not a wall of SQL.
std::string_view excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 120;
  return sql.size() > kMax ? sql.substr(0, kMax) : sql;
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Query::Query(Database& db, Statement& statement) : db_(&db), statement_(&statement) {
  statement_->in_use_ = true;
}

Query::Query(Query&& other) noexcept : db_(other.db_), statement_(other.statement_) {
  other.statement_ = nullptr;
}

Query::~Query() {
  if (statement_ == nullptr) return;
  // reset() repeats the last step's error, which step() has already reported.
  sqlite3_reset(statement_->stmt_);
  sqlite3_clear_bindings(statement_->stmt_);
  statement_->in_use_ = false;
}

void Query::check_bind(int rc) {
  if (rc != SQLITE_OK) db_->fail(rc, sqlite3_sql(statement_->stmt_));
}

void Query::bind_null(int index) { check_bind(sqlite3_bind_null(statement_->stmt_, index)); }

void Query::bind_int64(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(statement_->stmt_, index, value));
}

void Query::bind_double(int index, double value) {
  check_bind(sqlite3_bind_double(statement_->stmt_, index, value));
}

void Query::bind_text(int index, std::string_view value) {
  check_bind(sqlite3_bind_text64(statement_->stmt_, index, value.data(), value.size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8));
}

bool Query::step() {
  const int rc = sqlite3_step(statement_->stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(statement_->stmt_));
}

int Query::run() {
  while (step()) {
  }
  return sqlite3_changes(db_->db_);
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(statement_->stmt_, column) == SQLITE_NULL;
}

std::int64_t Query::int64(int column) const {
  return sqlite3_column_int64(statement_->stmt_, column);
}

int Query::integer(int column) const { return sqlite3_column_int(statement_->stmt_, column); }

bool Query::boolean(int column) const { return integer(column) != 0; }

double Query::real(int column) const { return sqlite3_column_double(statement_->stmt_, column); }

std::string Query::text(int column) const {
  // Ask for the text before its size: the conversion to text may change the size.
  const unsigned char* data = sqlite3_column_text(statement_->stmt_, column);
  const int size = sqlite3_column_bytes(statement_->stmt_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> Query::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

Database::Database(const std::string& path) : path_(path) {
  // Connections are used from several threads (one at a time each), which a single-threaded
  // build of SQLite (no mutexes even around its global state) does not allow.
  if (sqlite3_threadsafe() == 0) {
    throw Error(ErrorCode::internal,
                "this SQLite library was built with SQLITE_THREADSAFE=0; link one built with "
                "thread support (the default)");
  }
  // NOMUTEX: the owner already serializes use of a connection, so SQLite's own per-connection
  // mutex would be pure overhead.
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::unavailable,
                fmt::format("cannot open the database {}: {}; check that its directory exists "
                            "and is writable",
                            path, detail));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
  } catch (...) {
    sqlite3_close(db_);  // the destructor does not run for a half-built object
    throw;
  }
}

Database::~Database() {
  statements_.clear();  // every statement must be finalized before the connection closes
  sqlite3_close(db_);
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
}

Query Database::query(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) fail(rc, sql);
    auto statement = std::make_unique<Statement>(stmt);
    if (stmt == nullptr || tail != sql.data() + sql.size()) {
      throw Error(ErrorCode::internal,
                  fmt::format("query() takes exactly one SQL statement: {}", excerpt(sql)));
    }
    found = statements_.emplace(std::string(sql), std::move(statement)).first;
  }
  Statement& statement = *found->second;
  if (statement.in_use_) {
    throw Error(ErrorCode::internal,
                fmt::format("statement borrowed twice at once: {}", excerpt(sql)));
  }
  return Query(*this, statement);
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Database::fail(int rc, std::string_view context) const {
  const std::string detail = sqlite3_errmsg(db_);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      throw Error(ErrorCode::conflict, fmt::format("already exists ({})", detail));
    default: break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(ErrorCode::unavailable,
                  fmt::format("the database {} stayed locked by another connection for over "
                              "{} ms; retry, and look for a stuck process holding it",
                              path_, kBusyTimeoutMs));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PROTOCOL:
      throw Error(ErrorCode::unavailable,
                  fmt::format("the database {} cannot be used: {}; check its disk space, "
                              "permissions and integrity",
                              path_, detail));
    default:
      throw Error(ErrorCode::internal,
                  fmt::format("SQLite error {} in `{}`: {}", rc, excerpt(context), detail));
  }
}

Transaction::Transaction(Database& db, TransactionMode mode) : db_(db) {
  db_.query(mode == TransactionMode::immediate ? "BEGIN IMMEDIATE" : "BEGIN").run();
}

Transaction::~Transaction() {
  if (!open_ || !db_.in_transaction()) return;
  try {
    db_.query("ROLLBACK").run();
  } catch (...) {
    // Nothing more can be done from a destructor; SQLite rolls back when the connection
    // closes, and the error that brought us here is already propagating.
  }
}

void Transaction::commit() {
  db_.query("COMMIT").run();
  open_ = false;
}

}  // namespace rendermart::sqlite
