#include "store/postgres/pg_connection.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace rendermart::pg {
namespace {

// Connection errors name the problem and what to check; they never echo the URL, which may
// carry a password.
Error connection_error(std::string_view what, PGconn* conn) {
  std::string reason = conn ? PQerrorMessage(conn) : "out of memory";
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return Error(ErrorCode::unavailable,
               fmt::format("{}: {}; check that PostgreSQL is running and that the database URL "
                           "(host, port, database, user, password) is right",
                           what, reason));
}

ErrorCode code_for_sqlstate(std::string_view state) {
  if (state == "23505") return ErrorCode::conflict;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "57014") {
    return ErrorCode::unavailable;
  }
  return ErrorCode::internal;
}

[[noreturn]] void bad_value(std::string_view type, const char* text) {
  throw Error(ErrorCode::internal,
              fmt::format("the database returned '{}' where {} was expected", text, type));
}

template <typename Number>
Number parse_number(const char* text, std::string_view type) {
  Number number{};
  const std::string_view view(text);
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), number);
  if (error != std::errc() || end != view.data() + view.size()) bad_value(type, text);
  return number;
}

}  // namespace

// ---- Result ----

Result::Result(PGresult* result) : result_(result) {}
Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
Result::~Result() { PQclear(result_); }

int Result::rows() const { return PQntuples(result_); }

std::int64_t Result::affected() const {
  const char* count = PQcmdTuples(result_);
  return *count == '\0' ? 0 : parse_number<std::int64_t>(count, "a row count");
}

const char* Result::value(int row, int column) const {
  if (row >= rows() || column >= PQnfields(result_)) {
    throw Error(ErrorCode::internal,
                fmt::format("row {} column {} is outside the result", row, column));
  }
  return PQgetvalue(result_, row, column);
}

bool Result::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string Result::text(int row, int column) const { return value(row, column); }
std::int64_t Result::int64(int row, int column) const {
  return parse_number<std::int64_t>(value(row, column), "an integer");
}
int Result::integer(int row, int column) const {
  return parse_number<int>(value(row, column), "an integer");
}

// from_chars for double is not in every standard library this builds with; strtod reads
// PostgreSQL's output (which uses '.', never a locale's comma) since the process keeps the C
// numeric locale.
double Result::real(int row, int column) const {
  const char* text = value(row, column);
  char* end = nullptr;
  const double number = std::strtod(text, &end);
  if (end == text || *end != '\0') bad_value("a number", text);
  return number;
}

bool Result::boolean(int row, int column) const {
  const char* text = value(row, column);
  if (text[0] == 't' && text[1] == '\0') return true;
  if (text[0] == 'f' && text[1] == '\0') return false;
  bad_value("a boolean", text);
}

std::optional<std::int64_t> Result::optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

// ---- Connection ----

Connection::Connection(const std::string& url) {
  // Keywords before "dbname" are defaults; the URL, expanded in its place, overrides them.
  const std::string connect_timeout = std::to_string(kConnectTimeoutSeconds);
  // client_min_messages: NOTICEs (e.g. "relation already exists, skipping") are noise here.
  const std::string options =
      fmt::format("-c statement_timeout={} -c client_min_messages=warning", kStatementTimeoutMs);
  const std::array<const char*, 5> keywords = {"connect_timeout", "options", "application_name",
                                               "dbname", nullptr};
  const std::array<const char*, 5> values = {connect_timeout.c_str(), options.c_str(), "rendermart",
                                             url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    const Error error = connection_error("cannot connect to PostgreSQL", conn_);
    PQfinish(conn_);
    throw error;
  }
  PQsetNoticeReceiver(conn_, &Connection::on_notice, this);
}

Connection::~Connection() { PQfinish(conn_); }

// libpq hands over as notices both the server's NOTICEs and WARNINGs and an error that arrives
// while no query runs; the latter is a FATAL goodbye before the server closes the session.
void Connection::on_notice(void* self, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  const std::string_view level = severity ? severity : "";
  if (level == "FATAL" || level == "PANIC") {
    static_cast<Connection*>(self)->doomed_ = true;
  } else if (level == "WARNING") {
    const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
    spdlog::warn("PostgreSQL: {}", message ? message : "(no message)");
  }
}

bool Connection::healthy() const { return !doomed_ && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::check_idle() {
  // PQconsumeInput reads what the server sent, without blocking (an end of file breaks the
  // connection); PQisBusy parses it, so that a goodbye reaches on_notice.
  if (PQconsumeInput(conn_) == 0) return false;
  PQisBusy(conn_);
  return healthy() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::reusable() const {
  return healthy() && deferred_.empty() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Result Connection::checked(PGresult* raw, std::string_view what) {
  Result result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  fail(raw, what);
}

void Connection::fail(const PGresult* raw, std::string_view what) {
  if (raw == nullptr || !healthy()) {
    throw connection_error(fmt::format("lost the connection to PostgreSQL during {}", what), conn_);
  }
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* message = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  const ErrorCode code = code_for_sqlstate(state ? state : "");
  throw Error(code, fmt::format("PostgreSQL failed {}: {} (SQLSTATE {}){}", what,
                                message ? message : "unknown error", state ? state : "?",
                                code == ErrorCode::unavailable
                                    ? "; the database is restarting or overloaded, retry shortly"
                                    : ""));
}

void Connection::exec(std::string_view sql) {
  if (!deferred_.empty()) send_deferred();
  const std::string text(sql);
  checked(PQexec(conn_, text.c_str()), "a statement");
}

Result Connection::query(const std::string& sql, const std::vector<Param>& params) {
  if (!deferred_.empty()) {
    deferred_.push_back({sql, params});
    return send_deferred();
  }
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "rm" + std::to_string(prepared_.size());
    checked(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), "preparing a statement");
    found = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  return checked(PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(values.size()),
                                values.data(), nullptr, nullptr, 0),
                 "a query");
}

void Connection::defer(const std::string& sql, const std::vector<Param>& params) {
  deferred_.push_back({sql, params});
}

void Connection::begin(std::string_view sql) {
  deferred_.push_back({std::string(sql), {}, false});
  nothing_sent_ = true;
}

void Connection::commit() {
  if (nothing_sent_ && deferred_.size() == 1) {
    deferred_.clear();  // only the BEGIN: nothing ran, nothing to commit
    return;
  }
  deferred_.push_back({"COMMIT", {}, false});
  send_deferred();
}

void Connection::abandon() noexcept {
  deferred_.clear();
  // A broken connection rolls back by itself on the server; it is then discarded.
  if (!healthy() || PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
  try {
    exec("ROLLBACK");
  } catch (...) {
    // The original error is the one to report; the pool discards a connection left inside a
    // transaction.
  }
}

// Every statement is sent, then a sync, then the results are read in order: one round trip.
// The server skips the statements after a failed one (PGRES_PIPELINE_ABORTED) up to the sync.
// Blocking mode is safe here because a batch is a few small statements: neither side can fill
// the other's socket buffer before reading.
Result Connection::send_deferred() {
  const std::vector<Deferred> batch = std::exchange(deferred_, {});
  nothing_sent_ = false;
  if (PQenterPipelineMode(conn_) != 1) {
    throw connection_error("cannot send statements to PostgreSQL", conn_);
  }
  // Statements this batch prepares, recorded in prepared_ once their preparation succeeded.
  struct Preparing {
    std::string sql;
    std::string name;
    int command;  // its Parse's index among the commands sent
  };
  std::vector<Preparing> preparing;
  int commands = 0;
  bool sent = true;
  for (const auto& statement : batch) {
    if (!statement.prepared) {
      sent = sent && PQsendQueryParams(conn_, statement.sql.c_str(), 0, nullptr, nullptr, nullptr,
                                       nullptr, 0) == 1;
      ++commands;
      continue;
    }
    std::string name;
    if (const auto found = prepared_.find(statement.sql); found != prepared_.end()) {
      name = found->second;
    } else if (const auto same =
                   std::find_if(preparing.begin(), preparing.end(),
                                [&](const Preparing& p) { return p.sql == statement.sql; });
               same != preparing.end()) {
      name = same->name;
    } else {
      name = "rm" + std::to_string(prepared_.size() + preparing.size());
      sent = sent && PQsendPrepare(conn_, name.c_str(), statement.sql.c_str(), 0, nullptr) == 1;
      preparing.push_back({statement.sql, name, commands++});
    }
    std::vector<const char*> values;
    values.reserve(statement.params.size());
    for (const auto& param : statement.params) values.push_back(param ? param->c_str() : nullptr);
    sent = sent && PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                       values.data(), nullptr, nullptr, 0) == 1;
    ++commands;
  }
  if (!sent || PQpipelineSync(conn_) != 1) {
    doomed_ = true;  // half a pipeline went out: the connection's state is unknown
    throw connection_error("lost the connection to PostgreSQL while sending statements", conn_);
  }

  std::vector<Result> results;
  results.reserve(static_cast<std::size_t>(commands));
  for (int command = 0; command < commands; ++command) {
    PGresult* raw = PQgetResult(conn_);
    // Each command's result is followed by a null pointer, an aborted one's too.
    PGresult* extra = raw ? PQgetResult(conn_) : nullptr;
    if (raw == nullptr || extra != nullptr) {
      PQclear(raw);
      PQclear(extra);
      doomed_ = true;
      throw connection_error("lost the connection to PostgreSQL during a pipeline", conn_);
    }
    results.emplace_back(raw);
  }
  const Result sync(PQgetResult(conn_));
  if (PQresultStatus(sync.native()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(conn_) != 1) {
    doomed_ = true;
    throw connection_error("lost the connection to PostgreSQL during a pipeline", conn_);
  }
  for (const auto& p : preparing) {
    if (PQresultStatus(results[static_cast<std::size_t>(p.command)].native()) == PGRES_COMMAND_OK) {
      prepared_.emplace(p.sql, p.name);
    }
  }
  for (const auto& result : results) {
    const ExecStatusType status = PQresultStatus(result.native());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result.native(), "a query");
  }
  return std::move(results.back());
}

// ---- Pool ----

Pool::Pool(std::string url, std::size_t size) : url_(std::move(url)), size_(size) {
  if (size_ == 0) {
    throw Error(ErrorCode::internal, "a PostgreSQL pool needs at least one connection");
  }
}

Pool::~Pool() = default;

Pool::Lease::Lease(Pool& pool, std::unique_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {}
Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}
Pool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

Pool::Lease Pool::acquire() {
  {
    std::unique_lock lock(mutex_);
    if (!released_.wait_for(lock, kPoolWaitTimeout,
                            [this] { return !idle_.empty() || open_ < size_; })) {
      throw Error(ErrorCode::unavailable,
                  fmt::format("all {} PostgreSQL connections stayed busy for {} ms; the database "
                              "is slow or the pool too small",
                              size_, kPoolWaitTimeout.count()));
    }
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      // A connection that the server closed while it sat idle (a restart) is replaced now, so
      // that the caller does not fail on it.
      if (connection->check_idle()) return Lease(*this, std::move(connection));
      --open_;
    }
    ++open_;
  }
  try {
    return Lease(*this, std::make_unique<Connection>(url_));
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    released_.notify_one();
    throw;
  }
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    // A connection left inside a transaction (a failed COMMIT or ROLLBACK) is as good as broken.
    if (connection->reusable()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  released_.notify_one();
}

}  // namespace rendermart::pg
