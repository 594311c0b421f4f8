#pragma once

// A thin RAII layer over libpq: results, connections that prepare each statement once (lazily,
// by its text), a small pool of connections lent out by RAII leases, and a transaction helper
// that spends no round trip of its own: BEGIN travels with the transaction's first statement,
// and COMMIT with its last writes (libpq's pipeline mode).
//
// Contract: a Connection is used by one thread at a time (the pool lends each to one borrower);
// the Pool is thread-safe. Parameters travel in text format. PostgreSQL errors become
// rendermart::Error: SQLSTATE 23505 (unique violation) is `conflict`; a connection that cannot be
// made or is lost, class 08, 57P01/57P02/57P03 (the server shutting down or starting) and 57014
// (statement timeout) are `unavailable`; anything else is `internal`. A connection that broke
// is discarded when its lease ends, and the next checkout connects afresh: that is how a process
// outlives a PostgreSQL restart.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

struct pg_conn;
struct pg_result;

namespace rendermart::pg {

// Seconds libpq waits for a connection to be made (unless the URL says otherwise). Short: a
// request should fail with `unavailable` well before an HTTP client gives up.
inline constexpr int kConnectTimeoutSeconds = 5;
// The server cancels any statement running longer than this. Store statements take
// milliseconds; this only bounds a stuck lock or a pathological plan.
inline constexpr int kStatementTimeoutMs = 30'000;
inline constexpr std::size_t kDefaultPoolSize = 8;
// How long a checkout waits for a busy pool to lend a connection before `unavailable`.
inline constexpr std::chrono::milliseconds kPoolWaitTimeout{kStatementTimeoutMs + 5'000};

// A text parameter; nullopt is SQL NULL.
using Param = std::optional<std::string>;

// Converts a C++ value to a text parameter: integers (bool as true/false), floating point (in
// the shortest form that reads back exactly), strings, and optionals (empty: NULL).
template <typename T>
Param to_param(const T& value) {
  if constexpr (std::is_same_v<T, std::nullopt_t>) {
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, bool>) {
    return std::string(value ? "true" : "false");
  } else if constexpr (std::is_arithmetic_v<T>) {
    return fmt::format("{}", value);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(value));
  } else {
    if (!value) return std::nullopt;
    return to_param(*value);
  }
}

// The rows of one statement's result. Rows and columns are 0-based.
class Result {
 public:
  explicit Result(pg_result* result);  // takes ownership
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  int integer(int row, int column) const;
  double real(int row, int column) const;
  bool boolean(int row, int column) const;
  std::optional<std::int64_t> optional_int64(int row, int column) const;

  const pg_result* native() const { return result_; }

 private:
  const char* value(int row, int column) const;
  pg_result* result_ = nullptr;
};

// One row of a Result, read by column: the shape the record readers take (store/records.hpp).
class Row {
 public:
  Row(const Result& result, int row) : result_(result), row_(row) {}
  bool is_null(int column) const { return result_.is_null(row_, column); }
  std::string text(int column) const { return result_.text(row_, column); }
  std::int64_t int64(int column) const { return result_.int64(row_, column); }
  int integer(int column) const { return result_.integer(row_, column); }
  double real(int column) const { return result_.real(row_, column); }
  bool boolean(int column) const { return result_.boolean(row_, column); }
  std::optional<std::int64_t> optional_int64(int column) const {
    return result_.optional_int64(row_, column);
  }

 private:
  const Result& result_;
  int row_;
};

class Connection {
 public:
  // Connects at once; throws `unavailable` (without echoing the URL, which may hold a password).
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without parameters; may hold several statements (migrations, ROLLBACK). Deferred
  // statements go first.
  void exec(std::string_view sql);

  // Runs one statement with parameters $1, $2, ..., prepared on first use on this connection.
  // Deferred statements travel with it, in the same round trip.
  Result query(const std::string& sql, const std::vector<Param>& params);
  template <typename... Args>
  Result query(const std::string& sql, const Args&... args) {
    return query(sql, std::vector<Param>{to_param(args)...});
  }

  // Inside transaction() only: queues a statement whose result nobody reads (a write). It is
  // sent with the next query() or with the COMMIT, in the same round trip, and an error it
  // meets is thrown there; the statements queued after it do not run.
  void defer(const std::string& sql, const std::vector<Param>& params);
  template <typename... Args>
  void defer(const std::string& sql, const Args&... args) {
    defer(sql, std::vector<Param>{to_param(args)...});
  }

  // The transaction helper's steps. begin() queues `sql` (BEGIN ...) to go with the first
  // statement; commit() sends the deferred statements and COMMIT together (nothing at all when
  // no statement ran); abandon() forgets deferred statements and rolls back what the server
  // started. abandon() never throws.
  void begin(std::string_view sql);
  void commit();
  void abandon() noexcept;

  // False once the connection to the server is lost; such a connection is of no further use.
  bool healthy() const;
  // Healthy, outside any transaction and with nothing deferred: fit to lend again.
  bool reusable() const;
  // Reads whatever the server sent while the connection sat idle (e.g. the message that the
  // server is shutting down) and reports whether the connection is still fit for use.
  bool check_idle();

  pg_conn* native() { return conn_; }

 private:
  // A statement waiting to be sent: prepared (by its text, as query() does) unless it is a
  // transaction's BEGIN or COMMIT.
  struct Deferred {
    std::string sql;
    std::vector<Param> params;
    bool prepared = true;
  };

  Result checked(pg_result* result, std::string_view what);
  [[noreturn]] void fail(const pg_result* result, std::string_view what);
  // Sends the deferred statements in one round trip; returns the last one's result.
  Result send_deferred();
  static void on_notice(void* self, const pg_result* notice);

  pg_conn* conn_ = nullptr;
  // Set when the server announced, between queries, that it is closing this session (FATAL:
  // a shutdown or restart, an administrator's pg_terminate_backend), or when a pipeline broke
  // off half-way.
  bool doomed_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::vector<Deferred> deferred_;
  // Set by begin(), cleared once any statement went to the server: a transaction in which
  // nothing ran needs neither BEGIN nor COMMIT.
  bool nothing_sent_ = false;
};

class Pool {
 public:
  Pool(std::string url, std::size_t size = kDefaultPoolSize);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A borrowed connection; returned to the pool when the lease ends, or discarded if broken.
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> connection);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Lends an idle connection, opening one when fewer than `size` exist; waits up to
  // kPoolWaitTimeout when all are lent. Throws `unavailable` when no connection can be made.
  Lease acquire();

 private:
  void give_back(std::unique_ptr<Connection> connection);

  const std::string url_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // lent + idle + being opened
};

// Runs `body(connection)` in one transaction on a pooled connection: committed when the body
// returns, rolled back when it throws. `begin` is the statement that opens it; it travels with
// the body's first statement, and COMMIT with the writes the body deferred.
template <typename Body>
auto transaction(Pool& pool, Body&& body, std::string_view begin = "BEGIN") {
  auto lease = pool.acquire();
  lease->begin(begin);
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Body&, Connection&>>) {
      body(*lease);
      lease->commit();
    } else {
      auto result = body(*lease);
      lease->commit();
      return result;
    }
  } catch (...) {
    lease->abandon();
    throw;
  }
}

}  // namespace rendermart::pg
