#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <thread>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/invitation_error.hpp"
#include "store/job_lifecycle.hpp"
#include "store/migrations.hpp"
#include "store/queue_position_query.hpp"
#include "store/records.hpp"
#include "store/sqlite/fts_query.hpp"
#include "store/usage_query.hpp"

namespace rendermart {
namespace {

using sqlite::Database;
using sqlite::Query;
using sqlite::Transaction;
using sqlite::TransactionMode;

// Read connections: enough for the API's request threads to read in parallel; more would only
// hold memory (each has its own page and statement cache). They are opened on demand.
std::size_t max_readers_for(const std::string& path) {
  if (path == ":memory:") return 0;
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8);
}

// The API bounds page sizes more tightly; this only keeps a negative limit (SQLite: no limit)
// or a huge one from reading a whole table.
constexpr int kMaxPageSize = 1000;
int page_limit(const Page& page) { return std::clamp(page.limit, 0, kMaxPageSize); }

using records::kApiKeyColumns;
using records::kImageColumns;
using records::kInvitationColumns;
using records::kJobColumns;
using records::kPreferenceColumns;
using records::kUserColumns;

// Binds an insert's parameters in order: ?1, ?2, ...
class Binder {
 public:
  explicit Binder(Query& query) : query_(query) {}
  template <typename T>
  void add(const T& value) {
    query_.bind(next_++, value);
  }

 private:
  Query& query_;
  int next_ = 1;
};

// The record readers, for this backend's rows.
constexpr auto read_user = &records::read<User, Query>;
constexpr auto read_api_key = &records::read<ApiKey, Query>;
constexpr auto read_invitation = &records::read<Invitation, Query>;
constexpr auto read_preferences = &records::read<Preferences, Query>;
constexpr auto read_job = &records::read<Job, Query>;
constexpr auto read_image = &records::read<Image, Query>;

template <typename Reader>
auto optional_row(Query query, Reader reader) -> std::optional<decltype(reader(query))> {
  if (!query.step()) return std::nullopt;
  return reader(query);
}

template <typename Reader>
auto all_rows(Query query, Reader reader) -> std::vector<decltype(reader(query))> {
  std::vector<decltype(reader(query))> rows;
  while (query.step()) rows.push_back(reader(query));
  return rows;
}

// The first column of a query that always returns one row (COUNT, MAX, ...).
std::int64_t scalar(Query query) {
  if (!query.step()) throw Error(ErrorCode::internal, "a scalar query returned no row");
  return query.int64(0);
}

// Progress is reported by workers; keep it within 0..1 whatever they send (NaN included, which
// SQLite would store as NULL).
double clamp_progress(double progress) {
  if (!(progress >= 0)) return 0;
  return std::min(progress, 1.0);
}

// ---- SQL ----

const std::string kInsertUser =
    "INSERT INTO users (id, email, password_hash, is_admin, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
const std::string kSelectUserByEmail = "SELECT " + kUserColumns + " FROM users WHERE email = ?1";
const std::string kSelectUser = "SELECT " + kUserColumns + " FROM users WHERE id = ?1";
// The session's expiry after the user's columns (column kUserColumnCount).
const std::string kSelectSessionUser =
    "SELECT " + kUserColumns +
    ", sessions.expires_at FROM sessions JOIN users ON users.id = sessions.user_id "
    "WHERE sessions.token_hash = ?1 AND sessions.expires_at > ?2";

const std::string kInsertInvitation =
    "INSERT INTO invitations (id, code_hash, created_by, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
const std::string kListInvitations =
    "SELECT " + kInvitationColumns + " FROM invitations ORDER BY id DESC";
const std::string kCountUsableInvitations =
    "SELECT COUNT(*) FROM invitations WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2";
// ?1 code hash, ?2 the new user's id, ?3 now. Changes no row unless the invitation is usable.
const std::string kUseInvitation =
    "UPDATE invitations SET used_at = ?3, used_by = ?2 "
    "WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?3";

const std::string kInsertApiKey = records::insert_statement("api_keys", kApiKeyColumns, '?');
const std::string kListApiKeys =
    "SELECT " + kApiKeyColumns + " FROM api_keys WHERE user_id = ?1 ORDER BY id DESC";
const std::string kUseApiKey =
    "UPDATE api_keys SET last_used_at = ?2 WHERE secret_hash = ?1 "
    "RETURNING " +
    kApiKeyColumns;

const std::string kSelectPreferences =
    "SELECT " + kPreferenceColumns + " FROM preferences WHERE user_id = ?1";
const std::string kUpsertPreferences =
    "INSERT INTO preferences (user_id, " + kPreferenceColumns +
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (user_id) DO UPDATE SET "
    "model = excluded.model, style = excluded.style, width = excluded.width, "
    "height = excluded.height, negative_prompt = excluded.negative_prompt, "
    "theme = excluded.theme";

const std::string kInsertJob = records::insert_statement("jobs", records::kNewJobColumns, '?');
const std::string kSelectJob =
    "SELECT " + kJobColumns + " FROM jobs WHERE id = ?1 AND user_id = ?2";
const std::string kListJobs =
    "SELECT " + kJobColumns + " FROM jobs WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2";
const std::string kListJobsAfter =
    "SELECT " + kJobColumns + " FROM jobs WHERE user_id = ?1 AND id < ?3 ORDER BY id DESC LIMIT ?2";
const std::string kListUnfinishedJobs =
    "SELECT " + kJobColumns +
    " FROM jobs WHERE user_id = ?1"
    " AND status IN ('queued', 'running') ORDER BY created_at, id";
const std::string kSelectJobImages =
    "SELECT " + kImageColumns + " FROM images WHERE job_id = ?1 ORDER BY idx";
const std::string kCancelQueuedJob =
    "UPDATE jobs SET status = 'canceled', finished_at = ?2 WHERE id = ?1 RETURNING " + kJobColumns;
const std::string kRequestCancelRunningJob =
    "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 RETURNING " + kJobColumns;

// The queue. A lease is held while status = 'running' and lease_owner names the worker; it
// counts as expired once lease_expires_at < now, and a claim may then take the job over. Until
// one does, the late worker still holds the lease and may renew or finish: its work is not lost
// for want of a competitor. Finishing a job clears the lease.

// Jobs whose worker vanished after a cancel request are canceled rather than run again.
constexpr std::string_view kCancelAbandonedJobs =
    "UPDATE jobs SET status = 'canceled', finished_at = ?1, lease_owner = '', "
    "lease_expires_at = 0 "
    "WHERE status = 'running' AND lease_expires_at < ?1 AND cancel_requested = 1";
// Jobs whose lease expired on their last allowed attempt fail, keeping the error of an earlier
// attempt when one was recorded (fail_job with a retryable error), since that is the likelier
// cause than the crash that followed.
constexpr std::string_view kFailExhaustedJobs =
    "UPDATE jobs SET status = 'failed', finished_at = ?1, lease_owner = '', "
    "lease_expires_at = 0, "
    "error_code = CASE WHEN error_code = '' THEN 'lease_expired' ELSE error_code END, "
    "error_message = CASE WHEN error_code = '' THEN ?3 ELSE error_message END "
    "WHERE status = 'running' AND lease_expires_at < ?1 AND attempts >= ?2";
// Fairness: the user with the fewest jobs running (under an unexpired lease) goes first, then the
// user whose last job started longest ago (jobs_user_started), then the oldest job. Only each
// user's oldest queued job can win, so the candidates are those heads, found by walking the
// distinct queued users through jobs_status_user, plus the running jobs whose lease expired. A
// claim thus costs a few index seeks per user with queued jobs, however deep the queue.
const std::string kClaimJob =
    "UPDATE jobs SET status = 'running', lease_owner = ?1, lease_expires_at = ?2 + ?3, "
    "attempts = attempts + 1, progress = 0, started_at = COALESCE(started_at, ?2) "
    "WHERE id = ("
    "  WITH RECURSIVE"
    "  queued_users (user_id) AS ("
    "    SELECT MIN(user_id) FROM jobs WHERE status = 'queued'"
    "    UNION ALL"
    "    SELECT (SELECT MIN(j.user_id) FROM jobs AS j"
    "            WHERE j.status = 'queued' AND j.user_id > q.user_id)"
    "    FROM queued_users AS q WHERE q.user_id IS NOT NULL),"
    "  heads (id) AS ("
    "    SELECT (SELECT j.id FROM jobs AS j"
    "            WHERE j.status = 'queued' AND j.user_id = q.user_id AND j.cancel_requested = 0"
    "            ORDER BY j.created_at, j.id LIMIT 1)"
    "    FROM queued_users AS q WHERE q.user_id IS NOT NULL"
    "    UNION ALL"
    "    SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < ?2)"
    "  SELECT j.id FROM heads AS h JOIN jobs AS j ON j.id = h.id"
    "  ORDER BY (SELECT COUNT(*) FROM jobs AS r WHERE r.status = 'running'"
    "            AND r.user_id = j.user_id AND r.lease_expires_at >= ?2),"
    "           COALESCE((SELECT MAX(s.started_at) FROM jobs AS s WHERE s.user_id = j.user_id), 0),"
    "           j.created_at, j.id"
    "  LIMIT 1) "
    "RETURNING " +
    kJobColumns;
constexpr std::string_view kRenewLease =
    "UPDATE jobs SET lease_expires_at = ?3, progress = ?4 "
    "WHERE id = ?1 AND lease_owner = ?2 AND status = 'running' RETURNING cancel_requested";
constexpr std::string_view kSelectLease =
    "SELECT user_id, status, lease_owner, attempts, cancel_requested FROM jobs WHERE id = ?1";
const std::string kInsertImage = records::insert_statement("images", records::kImageColumns, '?');
constexpr std::string_view kSucceedJob =
    "UPDATE jobs SET status = 'succeeded', progress = 1, finished_at = ?2, "
    "lease_expires_at = 0 WHERE id = ?1";
constexpr std::string_view kFinishJob =
    "UPDATE jobs SET status = ?2, error_code = ?3, error_message = ?4, finished_at = ?5, "
    "lease_owner = '', lease_expires_at = 0 WHERE id = ?1";
constexpr std::string_view kRequeueJob =
    "UPDATE jobs SET status = 'queued', error_code = ?2, error_message = ?3, progress = 0, "
    "lease_owner = '', lease_expires_at = 0 WHERE id = ?1";
constexpr std::string_view kCancelRunningJob =
    "UPDATE jobs SET status = 'canceled', finished_at = ?3, lease_owner = '', "
    "lease_expires_at = 0 WHERE id = ?1 AND lease_owner = ?2 AND status = 'running'";
// A worker shutting down gives its job back; a job whose cancellation was requested meanwhile
// is canceled instead, since a queued job must not carry a cancel request.
constexpr std::string_view kReleaseJob =
    "UPDATE jobs SET "
    "status = CASE WHEN cancel_requested THEN 'canceled' ELSE 'queued' END, "
    "finished_at = CASE WHEN cancel_requested THEN ?3 ELSE finished_at END, "
    "attempts = MAX(attempts - 1, 0), progress = 0, lease_owner = '', lease_expires_at = 0 "
    "WHERE id = ?1 AND lease_owner = ?2 AND status = 'running'";

const std::string kSelectImage =
    "SELECT " + kImageColumns + " FROM images WHERE id = ?1 AND user_id = ?2";
// COALESCE keeps the fields the patch leaves out (bound as NULL).
const std::string kUpdateImage =
    "UPDATE images SET favorite = COALESCE(?3, favorite), title = COALESCE(?4, title), "
    "tags = COALESCE(?5, tags) WHERE id = ?1 AND user_id = ?2 RETURNING " +
    kImageColumns;
// Limits.
const std::string kSelectUsage = usage_query("?1", "?2");
const std::string kListUsers = "SELECT " + kUserColumns + " FROM users ORDER BY id DESC LIMIT ?1";
const std::string kListUsersAfter =
    "SELECT " + kUserColumns + " FROM users WHERE id < ?2 ORDER BY id DESC LIMIT ?1";
const std::string kSetUserLimits =
    "UPDATE users SET max_jobs_in_flight = ?2, max_images_per_day = ?3, max_stored_bytes = ?4, "
    "max_requests_per_minute = ?5, max_request_burst = ?6 WHERE id = ?1 RETURNING " +
    kUserColumns;
const std::string kSetUserDisabled =
    "UPDATE users SET disabled = ?2 WHERE id = ?1 RETURNING " + kUserColumns;

Usage read_usage(const Query& q) { return Usage{q.integer(0), q.integer(1), q.int64(2)}; }

void insert_job(Database& db, const Job& job) {
  Query q = db.query(kInsertJob);
  Binder binder(q);
  records::bind(binder, records::NewJob{job});
  q.run();
}

const std::string kDeleteImage =
    "DELETE FROM images WHERE id = ?1 AND user_id = ?2 RETURNING " + kImageColumns;

// Fills job.images when the job succeeded.
void load_images(Database& db, Job& job) {
  if (job.status == JobStatus::succeeded) {
    job.images = all_rows(db.query(kSelectJobImages, job.id), read_image);
  }
}

std::optional<LeaseRow> select_lease(Database& db, const std::string& job_id) {
  return optional_row(db.query(kSelectLease, job_id), [](const Query& q) {
    return LeaseRow{q.text(0), records::parse_status(q.text(1)), q.text(2), q.integer(3),
                    q.integer(4) != 0};
  });
}

// Inserts a user inside a write transaction. The e-mail is checked first, under the write lock,
// so that the conflict can name its field; the unique index still guarantees it.
void insert_user(Database& db, const User& user) {
  if (scalar(db.query("SELECT COUNT(*) FROM users WHERE email = ?1", user.email)) > 0) {
    throw Error(ErrorCode::conflict,
                "an account with this e-mail address already exists; sign in instead", "email");
  }
  db.query(kInsertUser, user.id, user.email, user.password_hash, user.is_admin, user.created_at)
      .run();
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path)
    : path_(path), max_readers_(max_readers_for(path)), writer_(path) {
  // WAL: readers do not block the writer nor it them, and a commit appends to the log instead
  // of rewriting pages (with synchronous=NORMAL, no fsync per commit; a power cut may lose the
  // last commits but never corrupts the file). The mode is stored in the file, so it holds for
  // the read connections and other processes too. An in-memory database has no WAL.
  if (max_readers_ > 0) writer_.exec("PRAGMA journal_mode = WAL");
}

SqliteStore::~SqliteStore() = default;

template <typename Body>
auto SqliteStore::write(Body&& body) {
  std::lock_guard lock(writer_mutex_);
  Transaction transaction(writer_, TransactionMode::immediate);
  if constexpr (std::is_void_v<std::invoke_result_t<Body&, Database&>>) {
    body(writer_);
    transaction.commit();
  } else {
    auto result = body(writer_);
    transaction.commit();
    return result;
  }
}

template <typename Body>
auto SqliteStore::read(Body&& body) {
  if (max_readers_ == 0) {
    std::lock_guard lock(writer_mutex_);
    Transaction transaction(writer_, TransactionMode::deferred);
    auto result = body(writer_);
    transaction.commit();
    return result;
  }
  struct ReaderLoan {
    SqliteStore& store;
    Database& reader;
    ~ReaderLoan() { store.release_reader(reader); }
  } loan{*this, acquire_reader()};
  Transaction transaction(loan.reader, TransactionMode::deferred);
  auto result = body(loan.reader);
  transaction.commit();
  return result;
}

Database& SqliteStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  reader_released_.wait(
      lock, [this] { return !idle_readers_.empty() || readers_.size() < max_readers_; });
  if (!idle_readers_.empty()) {
    Database* reader = idle_readers_.back();
    idle_readers_.pop_back();
    return *reader;
  }
  auto reader = std::make_unique<Database>(path_);
  // A write on a read connection would bypass the writer's mutex and the BEGIN IMMEDIATE rule.
  reader->exec("PRAGMA query_only = ON");
  readers_.push_back(std::move(reader));
  return *readers_.back();
}

void SqliteStore::release_reader(Database& reader) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(&reader);
  }
  reader_released_.notify_one();
}

// ---- Schema ----

void SqliteStore::migrate() {
  // The write lock (BEGIN IMMEDIATE) makes a second process wait, then find nothing to do.
  // Versions newer than this binary knows are left alone, so that the older pods of a rolling
  // deployment keep running against the newer schema.
  write([](Database& db) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    // Each version not applied yet, not only those above the highest applied one: versions
    // are reserved ahead of time, so one may land after a higher one was applied somewhere.
    for (const auto& migration : migrations()) {
      if (scalar(db.query("SELECT COUNT(*) FROM schema_migrations WHERE version = ?1",
                          migration.version)) > 0) {
        continue;
      }
      try {
        db.exec(migration.sqlite);
      } catch (const Error& error) {
        throw Error(error.code(), fmt::format("migration {} ({}) failed: {}", migration.version,
                                              migration.name, error.what()));
      }
      db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
               migration.version, migration.name, now_millis())
          .run();
    }
  });
}

void SqliteStore::ping() {
  read([](Database& db) { return scalar(db.query("SELECT 1")); });
}

// ---- Users ----

void SqliteStore::create_user(const User& user) {
  write([&](Database& db) { insert_user(db, user); });
}

void SqliteStore::create_invited_user(const User& user, const std::string& code_hash, Millis now) {
  write([&](Database& db) {
    // The invitation first, so that no code means no answer about the e-mail; the write lock
    // keeps it usable until the update below.
    if (scalar(db.query(kCountUsableInvitations, code_hash, now)) == 0) throw invalid_invitation();
    insert_user(db, user);
    db.query(kUseInvitation, code_hash, user.id, now).run();
  });
}

void SqliteStore::change_password(const std::string& user_id, const std::string& password_hash,
                                  const std::string& keep_token_hash) {
  write([&](Database& db) {
    if (db.query("UPDATE users SET password_hash = ?2 WHERE id = ?1", user_id, password_hash)
            .run() == 0) {
      throw not_found("user " + user_id);
    }
    db.query("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2", user_id,
             keep_token_hash)
        .run();
  });
}

std::optional<std::vector<std::string>> SqliteStore::delete_user(const std::string& user_id) {
  return write([&](Database& db) -> std::optional<std::vector<std::string>> {
    auto blob_keys = all_rows(db.query("SELECT blob_key FROM images WHERE user_id = ?1", user_id),
                              [](const Query& q) { return q.text(0); });
    // The foreign keys delete the rest (ON DELETE CASCADE).
    if (db.query("DELETE FROM users WHERE id = ?1", user_id).run() == 0) return std::nullopt;
    return blob_keys;
  });
}

std::optional<User> SqliteStore::find_user_by_email(const std::string& email) {
  return read(
      [&](Database& db) { return optional_row(db.query(kSelectUserByEmail, email), read_user); });
}

std::optional<User> SqliteStore::find_user(const std::string& user_id) {
  return read(
      [&](Database& db) { return optional_row(db.query(kSelectUser, user_id), read_user); });
}

void SqliteStore::set_admin(const std::string& user_id, bool is_admin) {
  write([&](Database& db) {
    if (db.query("UPDATE users SET is_admin = ?2 WHERE id = ?1", user_id, is_admin).run() == 0) {
      throw not_found("user " + user_id);
    }
  });
}

// ---- Sessions ----

void SqliteStore::create_session(const std::string& token_hash, const std::string& user_id,
                                 Millis expires_at) {
  write([&](Database& db) {
    db.query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
             token_hash, user_id, expires_at)
        .run();
  });
}

std::optional<SessionUser> SqliteStore::find_session_user(const std::string& token_hash,
                                                          Millis now) {
  return read([&](Database& db) {
    return optional_row(db.query(kSelectSessionUser, token_hash, now), [](const Query& q) {
      return SessionUser{read_user(q), q.int64(records::kUserColumnCount)};
    });
  });
}

void SqliteStore::delete_session(const std::string& token_hash) {
  write([&](Database& db) {
    db.query("DELETE FROM sessions WHERE token_hash = ?1", token_hash).run();
  });
}

void SqliteStore::delete_user_sessions(const std::string& user_id) {
  write([&](Database& db) { db.query("DELETE FROM sessions WHERE user_id = ?1", user_id).run(); });
}

int SqliteStore::delete_expired_sessions(Millis now) {
  return write([&](Database& db) {
    return db.query("DELETE FROM sessions WHERE expires_at <= ?1", now).run();
  });
}

// ---- Invitations ----

void SqliteStore::create_invitation(const Invitation& invitation) {
  write([&](Database& db) {
    db.query(kInsertInvitation, invitation.id, invitation.code_hash, invitation.created_by,
             invitation.created_at, invitation.expires_at)
        .run();
  });
}

std::vector<Invitation> SqliteStore::list_invitations() {
  return read([](Database& db) { return all_rows(db.query(kListInvitations), read_invitation); });
}

bool SqliteStore::delete_invitation(const std::string& invitation_id) {
  return write([&](Database& db) {
    return db.query("DELETE FROM invitations WHERE id = ?1", invitation_id).run() > 0;
  });
}

// ---- API keys ----

void SqliteStore::create_api_key(const ApiKey& key) {
  write([&](Database& db) {
    Query q = db.query(kInsertApiKey);
    Binder binder(q);
    records::bind(binder, key);
    q.run();
  });
}

std::vector<ApiKey> SqliteStore::list_api_keys(const std::string& user_id) {
  return read(
      [&](Database& db) { return all_rows(db.query(kListApiKeys, user_id), read_api_key); });
}

bool SqliteStore::delete_api_key(const std::string& user_id, const std::string& key_id) {
  return write([&](Database& db) {
    return db.query("DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2", key_id, user_id).run() >
           0;
  });
}

std::optional<ApiKey> SqliteStore::use_api_key(const std::string& secret_hash, Millis now) {
  return write([&](Database& db) {
    return optional_row(db.query(kUseApiKey, secret_hash, now), read_api_key);
  });
}

// ---- Preferences ----

std::optional<Preferences> SqliteStore::get_preferences(const std::string& user_id) {
  return read([&](Database& db) {
    return optional_row(db.query(kSelectPreferences, user_id), read_preferences);
  });
}

void SqliteStore::put_preferences(const std::string& user_id, const Preferences& prefs) {
  write([&](Database& db) {
    db.query(kUpsertPreferences, user_id, prefs.model, prefs.style, prefs.width, prefs.height,
             prefs.negative_prompt, prefs.theme)
        .run();
  });
}

// ---- Jobs, as their owner sees them ----

// Only the job's id, user_id, params and created_at are taken: it always starts queued.
void SqliteStore::enqueue_job(const Job& job) {
  write([&](Database& db) { insert_job(db, job); });
}

std::optional<Job> SqliteStore::get_job(const std::string& user_id, const std::string& job_id) {
  return read([&](Database& db) {
    auto job = optional_row(db.query(kSelectJob, job_id, user_id), read_job);
    if (job) load_images(db, *job);
    return job;
  });
}

std::vector<Job> SqliteStore::list_jobs(const std::string& user_id, const Page& page) {
  return read([&](Database& db) {
    auto jobs = page.after_id.empty()
                    ? all_rows(db.query(kListJobs, user_id, page_limit(page)), read_job)
                    : all_rows(db.query(kListJobsAfter, user_id, page_limit(page), page.after_id),
                               read_job);
    for (auto& job : jobs) load_images(db, job);
    return jobs;
  });
}

std::optional<int> SqliteStore::queue_position(const std::string& job_id, Millis now) {
  static const std::string query = queue_position_query("?1", "?2");
  return read([&](Database& db) {
    return optional_row(db.query(query, job_id, now), [](const Query& q) { return q.integer(1); });
  });
}

std::vector<UnfinishedJob> SqliteStore::unfinished_jobs(const std::string& user_id, Millis now) {
  static const std::string positions_query = user_queue_positions_query("?1", "?2");
  return read([&](Database& db) {
    auto positions = all_rows(db.query(positions_query, user_id, now), [](const Query& q) {
      return QueuePositionRow{q.text(0), static_cast<int>(q.integer(1))};
    });
    return with_queue_positions(all_rows(db.query(kListUnfinishedJobs, user_id), read_job),
                                positions);
  });
}

int SqliteStore::queue_depth() {
  return read([](Database& db) {
    return static_cast<int>(scalar(db.query("SELECT COUNT(*) FROM jobs WHERE status = 'queued'")));
  });
}

std::optional<Job> SqliteStore::request_cancel(const std::string& user_id,
                                               const std::string& job_id, Millis now) {
  return write([&](Database& db) -> std::optional<Job> {
    auto job = optional_row(db.query(kSelectJob, job_id, user_id), read_job);
    if (!job) return std::nullopt;
    switch (cancel_step(job->status)) {
      case CancelStep::cancel_now:
        return optional_row(db.query(kCancelQueuedJob, job_id, now), read_job);
      case CancelStep::ask_the_worker:
        return optional_row(db.query(kRequestCancelRunningJob, job_id), read_job);
      case CancelStep::nothing: break;
    }
    load_images(db, *job);
    return job;
  });
}

// ---- The queue, as workers see it ----

std::optional<Job> SqliteStore::claim_job(const std::string& worker_id, Millis now,
                                          const QueuePolicy& policy) {
  const std::string exhausted_message = fmt::format(
      "the job was claimed {} times and each time its worker stopped renewing the lease "
      "(crashed or lost the database); it will not be retried",
      policy.max_attempts);
  return write([&](Database& db) {
    db.query(kCancelAbandonedJobs, now).run();
    db.query(kFailExhaustedJobs, now, policy.max_attempts, exhausted_message).run();
    return optional_row(db.query(kClaimJob, worker_id, now, policy.lease_ms), read_job);
  });
}

bool SqliteStore::renew_lease(const std::string& job_id, const std::string& worker_id,
                              double progress, Millis now, const QueuePolicy& policy) {
  return write([&](Database& db) {
    const auto cancel_requested = optional_row(
        db.query(kRenewLease, job_id, worker_id, now + policy.lease_ms, clamp_progress(progress)),
        [](const Query& q) { return q.integer(0) != 0; });
    return cancel_requested.has_value() && !*cancel_requested;
  });
}

// The images are recorded under the job's owner and id, whatever their own fields say, so that
// a worker cannot file images under another user or job.
bool SqliteStore::complete_job(const std::string& job_id, const std::string& worker_id,
                               const std::vector<Image>& images, Millis now) {
  return write([&](Database& db) {
    const auto lease = select_lease(db, job_id);
    if (!lease) return false;
    const auto step = completion_step(*lease, worker_id);
    if (step != CompletionStep::record) return step == CompletionStep::already_recorded;
    for (const auto& image : images) {
      Query q = db.query(kInsertImage);
      Binder binder(q);
      records::bind_new_image(binder, image, lease->user_id, job_id);
      q.run();
    }
    db.query(kSucceedJob, job_id, now).run();
    return true;
  });
}

// A retryable error goes back to the queue while attempts remain, unless cancellation was
// requested meanwhile: then the job is canceled, since it must not run again.
bool SqliteStore::fail_job(const std::string& job_id, const std::string& worker_id,
                           const std::string& code, const std::string& message, bool retryable,
                           Millis now, const QueuePolicy& policy) {
  return write([&](Database& db) {
    const auto lease = select_lease(db, job_id);
    if (!lease) return false;
    const auto step = failure_step(*lease, worker_id, retryable, policy);
    if (step == FailureStep::refuse) return false;
    if (step == FailureStep::requeue) {
      db.query(kRequeueJob, job_id, code, message).run();
    } else {
      const auto status = step == FailureStep::cancel ? JobStatus::canceled : JobStatus::failed;
      db.query(kFinishJob, job_id, to_string(status), code, message, now).run();
    }
    return true;
  });
}

bool SqliteStore::cancel_job(const std::string& job_id, const std::string& worker_id, Millis now) {
  return write(
      [&](Database& db) { return db.query(kCancelRunningJob, job_id, worker_id, now).run() > 0; });
}

// release_job has no `now`: a job canceled here (see kReleaseJob) takes the wall clock as its
// finished_at.
bool SqliteStore::release_job(const std::string& job_id, const std::string& worker_id) {
  return write([&](Database& db) {
    return db.query(kReleaseJob, job_id, worker_id, now_millis()).run() > 0;
  });
}

// ---- Images ----

std::optional<Image> SqliteStore::get_image(const std::string& user_id,
                                            const std::string& image_id) {
  return read([&](Database& db) {
    return optional_row(db.query(kSelectImage, image_id, user_id), read_image);
  });
}

namespace {

// The filters of an image query as SQL conditions after "WHERE user_id = ?1", each with its own
// parameter number (the cursor is ?2), so that every combination is its own statement text,
// cached per connection (at most 64 variants), and keeps its own plan. A search first collects
// the rowids of every matching image (the index spans all users), so its cost follows the
// number of matches. The search text is bound, never spliced into the SQL.
std::string image_conditions(const ImageQuery& query, const std::string& match) {
  std::string sql;
  if (!query.page.after_id.empty()) sql += " AND id < ?2";
  if (!query.model.empty()) sql += " AND model = ?3";
  if (query.favorite) sql += " AND favorite = ?4";
  if (query.created_from) sql += " AND created_at >= ?5";
  if (query.created_to) sql += " AND created_at < ?6";
  if (!match.empty()) sql += " AND seq IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?7)";
  return sql;
}

void bind_image_conditions(Query& q, const std::string& user_id, const ImageQuery& query,
                           const std::string& match) {
  q.bind(1, user_id);
  if (!query.page.after_id.empty()) q.bind(2, query.page.after_id);
  if (!query.model.empty()) q.bind(3, query.model);
  if (query.favorite) q.bind(4, *query.favorite);
  if (query.created_from) q.bind(5, *query.created_from);
  if (query.created_to) q.bind(6, *query.created_to);
  if (!match.empty()) q.bind(7, match);
}

}  // namespace

// Walks images_user (user_id, id) newest first and stops after `limit` rows that pass the
// filters.
std::vector<Image> SqliteStore::list_images(const std::string& user_id, const ImageQuery& query) {
  const std::string match = sqlite::fts5_query(query.text);
  const std::string sql = "SELECT " + kImageColumns + " FROM images WHERE user_id = ?1" +
                          image_conditions(query, match) + " ORDER BY id DESC LIMIT ?8";
  return read([&](Database& db) {
    Query q = db.query(sql);
    bind_image_conditions(q, user_id, query, match);
    q.bind(8, page_limit(query.page));
    return all_rows(std::move(q), read_image);
  });
}

// The same walk over images_user without the rows themselves.
std::int64_t SqliteStore::count_matching_images(const std::string& user_id,
                                                const ImageQuery& query) {
  ImageQuery filters = query;
  filters.page = {};
  const std::string match = sqlite::fts5_query(filters.text);
  const std::string sql =
      "SELECT COUNT(*) FROM images WHERE user_id = ?1" + image_conditions(filters, match);
  return read([&](Database& db) {
    Query q = db.query(sql);
    bind_image_conditions(q, user_id, filters, match);
    return scalar(std::move(q));
  });
}

std::optional<Image> SqliteStore::update_image(const std::string& user_id,
                                               const std::string& image_id,
                                               const ImagePatch& patch) {
  std::optional<std::string> tags;
  if (patch.tags) tags = records::encode_tags(*patch.tags);
  return write([&](Database& db) {
    return optional_row(
        db.query(kUpdateImage, image_id, user_id, patch.favorite, patch.title, tags), read_image);
  });
}

std::optional<Image> SqliteStore::delete_image(const std::string& user_id,
                                               const std::string& image_id) {
  return write([&](Database& db) {
    return optional_row(db.query(kDeleteImage, image_id, user_id), read_image);
  });
}

std::int64_t SqliteStore::count_images() {
  return read([](Database& db) { return scalar(db.query("SELECT COUNT(*) FROM images")); });
}

// ---- Limits and administration ----

std::vector<User> SqliteStore::list_users(const Page& page) {
  return read([&](Database& db) {
    if (page.after_id.empty()) return all_rows(db.query(kListUsers, page_limit(page)), read_user);
    return all_rows(db.query(kListUsersAfter, page_limit(page), page.after_id), read_user);
  });
}

std::optional<User> SqliteStore::set_user_limits(const std::string& user_id,
                                                 const UserLimits& limits) {
  return write([&](Database& db) {
    return optional_row(
        db.query(kSetUserLimits, user_id, limits.jobs_in_flight, limits.images_per_day,
                 limits.stored_bytes, limits.requests_per_minute, limits.request_burst),
        read_user);
  });
}

std::optional<User> SqliteStore::set_user_disabled(const std::string& user_id, bool disabled) {
  return write([&](Database& db) {
    return optional_row(db.query(kSetUserDisabled, user_id, disabled), read_user);
  });
}

Usage SqliteStore::usage(const std::string& user_id, Millis day_start) {
  return read([&](Database& db) {
    auto q = db.query(kSelectUsage, user_id, day_start);
    if (!q.step()) throw Error(ErrorCode::internal, "the usage query returned no row");
    return read_usage(q);
  });
}

namespace {

// Offers the user's usage to `admit`, inside the caller's write transaction.
bool admitted(Database& db, const std::string& user_id, Millis day_start,
              const std::function<bool(const Usage&)>& admit) {
  auto q = db.query(kSelectUsage, user_id, day_start);
  if (!q.step()) throw Error(ErrorCode::internal, "the usage query returned no row");
  return admit(read_usage(q));
}

}  // namespace

// The writer's BEGIN IMMEDIATE transaction already holds out every other writer, in this
// process and in any other on the same file, from the count to the insert.
bool SqliteStore::enqueue_job_within(const Job& job, Millis day_start,
                                     const std::function<bool(const Usage&)>& admit) {
  return write([&](Database& db) {
    if (!admitted(db, job.user_id, day_start, admit)) return false;
    insert_job(db, job);
    return true;
  });
}

bool SqliteStore::add_upload(const Job& job, const Image& image, Millis day_start,
                             const std::function<bool(const Usage&)>& admit) {
  return write([&](Database& db) {
    if (!admitted(db, job.user_id, day_start, admit)) return false;
    insert_job(db, job);
    Query insert = db.query(kInsertImage);
    Binder binder(insert);
    records::bind_new_image(binder, image, job.user_id, job.id);
    insert.run();
    db.query(kSucceedJob, job.id, job.created_at).run();
    return true;
  });
}

// ---- Request rates ----

constexpr const char* kChargeRequestRate =
    "INSERT INTO request_rates (user_id, full_at_us, charge_us) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (user_id) DO UPDATE SET"
    "  full_at_us = max(full_at_us + excluded.charge_us, excluded.full_at_us),"
    "  charge_us = excluded.charge_us";

// Without charges, a read: API processes that serve no one then take no write lock twice a
// second. The forgetting waits for the next charge.
std::vector<RateState> SqliteStore::exchange_request_rates(const std::vector<RateCharge>& charges,
                                                           std::int64_t now_us) {
  const auto active = [now_us](Database& db) {
    return all_rows(
        db.query("SELECT user_id, full_at_us FROM request_rates WHERE full_at_us > ?1", now_us),
        [](const Query& q) {
          return RateState{q.text(0), q.int64(1)};
        });
  };
  if (charges.empty()) return read(active);
  return write([&](Database& db) {
    for (const auto& charge : charges) {
      db.query(kChargeRequestRate, charge.user_id, charge.floor_us, charge.charge_us).run();
    }
    db.query("DELETE FROM request_rates WHERE full_at_us < ?1", now_us - 60'000'000).run();
    return active(db);
  });
}

}  // namespace rendermart
