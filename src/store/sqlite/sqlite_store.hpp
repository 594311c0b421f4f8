#pragma once

// The SQLite Store: the embedded default, one database file (or memory, for tests).
//
// Threading: one writer connection behind a mutex serves every call that writes, each in a
// BEGIN IMMEDIATE transaction (so that writers in other processes queue on the file lock instead
// of failing half-way); reads run in parallel on a small pool of read-only connections, each in
// a deferred transaction, which WAL mode lets proceed while a write is in progress. An in-memory
// database exists only on its one connection, so there every call uses the writer.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace rendermart {

class SqliteStore : public Store {
 public:
  // `path`: a database file, created when missing (its directory must exist), or ":memory:".
  // The schema is not touched until migrate() runs.
  explicit SqliteStore(const std::string& path);
  ~SqliteStore() override;

  void migrate() override;
  void ping() override;

  void create_user(const User& user) override;
  std::optional<User> find_user_by_email(const std::string& email) override;
  std::optional<User> find_user(const std::string& user_id) override;
  void set_admin(const std::string& user_id, bool is_admin) override;
  void create_invited_user(const User& user, const std::string& code_hash, Millis now) override;
  void change_password(const std::string& user_id, const std::string& password_hash,
                       const std::string& keep_token_hash) override;
  std::optional<std::vector<std::string>> delete_user(const std::string& user_id) override;

  void create_session(const std::string& token_hash, const std::string& user_id,
                      Millis expires_at) override;
  std::optional<SessionUser> find_session_user(const std::string& token_hash, Millis now) override;
  void delete_session(const std::string& token_hash) override;
  void delete_user_sessions(const std::string& user_id) override;
  int delete_expired_sessions(Millis now) override;

  void create_invitation(const Invitation& invitation) override;
  std::vector<Invitation> list_invitations() override;
  bool delete_invitation(const std::string& invitation_id) override;

  void create_api_key(const ApiKey& key) override;
  std::vector<ApiKey> list_api_keys(const std::string& user_id) override;
  bool delete_api_key(const std::string& user_id, const std::string& key_id) override;
  std::optional<ApiKey> use_api_key(const std::string& secret_hash, Millis now) override;

  std::optional<Preferences> get_preferences(const std::string& user_id) override;
  void put_preferences(const std::string& user_id, const Preferences& prefs) override;

  void enqueue_job(const Job& job) override;
  std::optional<Job> get_job(const std::string& user_id, const std::string& job_id) override;
  std::vector<Job> list_jobs(const std::string& user_id, const Page& page) override;
  std::optional<int> queue_position(const std::string& job_id, Millis now) override;
  std::vector<UnfinishedJob> unfinished_jobs(const std::string& user_id, Millis now) override;
  int queue_depth() override;
  std::optional<Job> request_cancel(const std::string& user_id, const std::string& job_id,
                                    Millis now) override;

  std::optional<Job> claim_job(const std::string& worker_id, Millis now,
                               const QueuePolicy& policy) override;
  bool renew_lease(const std::string& job_id, const std::string& worker_id, double progress,
                   Millis now, const QueuePolicy& policy) override;
  bool complete_job(const std::string& job_id, const std::string& worker_id,
                    const std::vector<Image>& images, Millis now) override;
  bool fail_job(const std::string& job_id, const std::string& worker_id, const std::string& code,
                const std::string& message, bool retryable, Millis now,
                const QueuePolicy& policy) override;
  bool cancel_job(const std::string& job_id, const std::string& worker_id, Millis now) override;
  bool release_job(const std::string& job_id, const std::string& worker_id) override;

  std::optional<Image> get_image(const std::string& user_id, const std::string& image_id) override;
  std::vector<Image> list_images(const std::string& user_id, const ImageQuery& query) override;
  std::int64_t count_matching_images(const std::string& user_id, const ImageQuery& query) override;
  std::optional<Image> update_image(const std::string& user_id, const std::string& image_id,
                                    const ImagePatch& patch) override;
  std::optional<Image> delete_image(const std::string& user_id,
                                    const std::string& image_id) override;
  std::int64_t count_images() override;

  std::vector<User> list_users(const Page& page) override;
  std::optional<User> set_user_limits(const std::string& user_id,
                                      const UserLimits& limits) override;
  std::optional<User> set_user_disabled(const std::string& user_id, bool disabled) override;
  Usage usage(const std::string& user_id, Millis day_start) override;
  bool enqueue_job_within(const Job& job, Millis day_start,
                          const std::function<bool(const Usage&)>& admit) override;
  bool add_upload(const Job& job, const Image& image, Millis day_start,
                  const std::function<bool(const Usage&)>& admit) override;
  std::vector<RateState> exchange_request_rates(const std::vector<RateCharge>& charges,
                                                std::int64_t now_us) override;

 private:
  // Runs `body(db)` in one read transaction on a pooled read connection.
  template <typename Body>
  auto read(Body&& body);
  // Runs `body(db)` in one BEGIN IMMEDIATE transaction on the writer connection.
  template <typename Body>
  auto write(Body&& body);

  sqlite::Database& acquire_reader();
  void release_reader(sqlite::Database& reader);

  const std::string path_;
  const std::size_t max_readers_;  // 0: reads use the writer (an in-memory database)

  std::mutex writer_mutex_;
  sqlite::Database writer_;

  std::mutex readers_mutex_;
  std::condition_variable reader_released_;
  std::vector<std::unique_ptr<sqlite::Database>> readers_;  // opened on demand
  std::vector<sqlite::Database*> idle_readers_;
};

}  // namespace rendermart
