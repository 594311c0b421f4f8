#pragma once

// The PostgreSQL Store: the backend that several API and worker processes share.
//
// Threading: every call borrows a connection from a pool (each statement prepared once per
// connection) and runs as one transaction: a single statement on its own, several inside
// BEGIN ... COMMIT, where BEGIN travels with the first statement and COMMIT with the writes
// whose results are not read (pg::transaction), so that completing a job takes two round trips.
// Claims lock their job with FOR UPDATE SKIP LOCKED, so concurrent workers in any process never
// wait for, nor take, each other's jobs. Semantics are those of SqliteStore.

#include <cstddef>
#include <string>

#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace rendermart {

class PgStore : public Store {
 public:
  // `url`: a libpq connection URL (postgres://user:password@host:port/database?...). Nothing
  // connects until the first call; the schema is not touched until migrate() runs.
  explicit PgStore(std::string url, std::size_t pool_size = pg::kDefaultPoolSize);
  ~PgStore() override;

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
  // Runs `body(connection)` outside an explicit transaction: for a single statement.
  template <typename Body>
  auto single(Body&& body);
  // Runs `body(connection)` in one read-write transaction.
  template <typename Body>
  auto write(Body&& body);
  // Runs `body(connection)` in one read-only transaction that sees a single snapshot.
  template <typename Body>
  auto read(Body&& body);

  pg::Pool pool_;
};

// Turns search text typed by a user into the text of a PostgreSQL tsquery (for to_tsquery) that
// always parses: every word (store/search_terms.hpp) becomes a quoted prefix term, 'word':*, with
// `'` and `\` escaped, and the terms are ANDed (&). Bytes that are not valid UTF-8 separate words,
// since PostgreSQL refuses such text outright. Returns "" when the text has no words.
//
// As with FTS5, a word that the server's parser finds no lexeme in (e.g. "-" or "—") is ignored
// beside other words, and a query made only of such words matches no rows. Unlike SQLite's
// unicode61, PostgreSQL's parser in a UTF-8 locale treats emoji as such non-words too.
std::string pg_tsquery(std::string_view text);

}  // namespace rendermart
