#pragma once

// A thin RAII layer over the SQLite C API: a connection that caches its prepared statements, a
// borrowed statement (Query) that binds, steps and reads columns, and a transaction guard.
//
// Contract: a Database, and every Query borrowed from it, is used by one thread at a time (the
// owner serializes access); SQLite errors become rendermart::Error: unique violations are
// `conflict`, a database that is locked past the busy timeout or cannot be opened, read or
// written is `unavailable`, anything else is `internal`.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace rendermart::sqlite {

// How long a connection waits for another connection's write lock before giving up with
// `unavailable`. Write transactions here last a millisecond or less, so waiting this long
// only happens when something is wrong (a stuck process, a very slow disk); 5 s rides out a
// checkpoint or a `rendermart migrate` running beside a server, yet fails a request long before
// an HTTP client or load balancer would time it out.
inline constexpr int kBusyTimeoutMs = 5000;

class Database;

// One prepared statement, owned by its Database's cache.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt);  // takes ownership
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

 private:
  friend class Database;
  friend class Query;
  sqlite3_stmt* stmt_ = nullptr;
  bool in_use_ = false;  // a Query has borrowed it: a second borrow would clobber its bindings
};

// A cached statement borrowed for one execution. Parameters are 1-based, columns 0-based, as in
// SQLite. Text is copied when bound, so temporaries are safe. On destruction the statement is
// reset and its bindings cleared, ready for the next borrower.
class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  // Integers (bool included) bind as INTEGER, floating point as REAL, strings as TEXT,
  // std::nullopt/nullptr and empty optionals as NULL.
  template <typename T>
  Query& bind(int index, const T& value) {
    if constexpr (std::is_same_v<T, std::nullopt_t> || std::is_same_v<T, std::nullptr_t>) {
      bind_null(index);
    } else if constexpr (std::is_integral_v<T>) {
      bind_int64(index, static_cast<std::int64_t>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      bind_double(index, static_cast<double>(value));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      bind_text(index, std::string_view(value));
    } else {
      if (value) {
        bind(index, *value);
      } else {
        bind_null(index);
      }
    }
    return *this;
  }

  // Binds the arguments to parameters 1, 2, ... in order.
  template <typename... Args>
  Query& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances to the next row: true when a row is ready, false when the statement is done.
  bool step();
  // Steps to the end, ignoring any rows; returns the number of rows changed.
  int run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  int integer(int column) const;
  bool boolean(int column) const;  // stored as 0 or 1
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  friend class Database;
  Query(Database& db, Statement& statement);

  void bind_null(int index);
  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_text(int index, std::string_view value);
  void check_bind(int rc);

  Database* db_;
  Statement* statement_;
};

// One connection. Opening applies the per-connection settings every connection needs
// (busy timeout, foreign keys, synchronous=NORMAL); the caller chooses the journal mode.
class Database {
 public:
  // `path` is a file path or ":memory:"; the file is created when missing.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements, ignoring any rows they return (schema scripts, pragmas).
  void exec(std::string_view sql);
  // Borrows the cached statement for `sql`, preparing it on first use. Throws
  // Error(internal) when the same statement is already borrowed and not yet released.
  Query query(std::string_view sql);
  // query(sql) with the arguments bound to parameters 1, 2, ...
  template <typename... Args>
  Query query(std::string_view sql, const Args&... args) {
    Query q = query(sql);
    q.bind_all(args...);
    return q;
  }

  // True while a transaction is open (SQLite may roll one back by itself after some errors).
  bool in_transaction() const;

 private:
  friend class Query;

  // Throws the rendermart::Error that SQLite result code `rc` stands for.
  [[noreturn]] void fail(int rc, std::string_view context) const;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>>
      statements_;
};

enum class TransactionMode {
  deferred,   // takes a read snapshot at the first read: for read-only calls
  immediate,  // takes the write lock at once, waiting up to the busy timeout: for every write,
              // so that a transaction never fails half-way when upgrading from read to write
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  Transaction(Database& db, TransactionMode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace rendermart::sqlite
