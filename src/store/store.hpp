#pragma once

// The Store: every durable record (users, sessions, API keys, preferences, jobs, images) and the
// job queue. Implementations: SQLite (store/sqlite, the default) and PostgreSQL.
//
// Contract for every method: thread-safe (any thread may call it, concurrently); each call is one
// transaction; failures throw rendermart::Error (conflict for a unique violation, unavailable when
// the database cannot be reached). Methods that take a user_id only ever see that user's rows.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "core/job_events.hpp"

namespace rendermart {

struct Page {
  std::string after_id;  // keyset cursor: return items with id < after_id; empty: from the newest
  int limit = 50;
};

struct UnfinishedJob {
  Job job;
  std::optional<int> queue_position;  // queued jobs only
};

struct ImageQuery {
  Page page;
  std::string text;   // full-text search over prompts (and titles, tags); empty: all
  std::string model;  // exact model id; empty: all
  std::optional<bool> favorite;
  std::optional<Millis> created_from;  // inclusive
  std::optional<Millis> created_to;    // exclusive
};

struct ImagePatch {
  std::optional<bool> favorite;
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> tags;
};

// How the queue treats jobs; set from configuration.
struct QueuePolicy {
  Millis lease_ms = 30'000;  // a claim lasts this long unless renewed
  int max_attempts = 3;      // claims before a job fails with its last error
};

// What a user has, counted against their limits.
struct Usage {
  int jobs_in_flight = 0;  // generations queued or running
  // Images asked for by generations created since the start of the day that are queued,
  // running or succeeded (failed and canceled ones give theirs back).
  int images_today = 0;
  std::int64_t stored_bytes = 0;  // originals and thumbnails of the user's images
};

// Requests that one process let a user make since it last exchanged request rates, as their
// effect on the user's allowance: full_at = max(full_at + charge_us, floor_us).
struct RateCharge {
  std::string user_id;
  std::int64_t charge_us = 0;
  std::int64_t floor_us = 0;
};

// When a user's allowance of requests is whole again, in microseconds since the Unix epoch.
struct SessionUser {
  User user;
  Millis expires_at = 0;
};

struct RateState {
  std::string user_id;
  std::int64_t full_at_us = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Schema. Applies pending migrations; safe to call from several processes at once.
  virtual void migrate() = 0;
  // Throws unless the database answers a trivial query.
  virtual void ping() = 0;

  // Users. create_user throws Error(conflict, field "email") when the e-mail is taken.
  virtual void create_user(const User& user) = 0;
  virtual std::optional<User> find_user_by_email(const std::string& email) = 0;
  virtual std::optional<User> find_user(const std::string& user_id) = 0;
  virtual void set_admin(const std::string& user_id, bool is_admin) = 0;
  // Creates the user and marks the invitation whose code has that hash used by them, both or
  // neither: throws Error(forbidden, field "invite") when no unused, unexpired invitation has it
  // (so of two registrations with one code, one wins), conflict as create_user.
  virtual void create_invited_user(const User& user, const std::string& code_hash, Millis now) = 0;
  // Sets the password hash and ends the user's sessions except the one with keep_token_hash.
  virtual void change_password(const std::string& user_id, const std::string& password_hash,
                               const std::string& keep_token_hash) = 0;
  // Deletes the user with everything they own (sessions, API keys, preferences, jobs, images,
  // the invitations they created) and returns the blob keys of their images, for the caller to
  // delete from the blob store. Nothing when there is no such user.
  virtual std::optional<std::vector<std::string>> delete_user(const std::string& user_id) = 0;

  // Sessions, keyed by the SHA-256 of the cookie token (the token itself is never stored).
  virtual void create_session(const std::string& token_hash, const std::string& user_id,
                              Millis expires_at) = 0;
  // The user of the session and when it expires: nothing for an unknown or expired session. One
  // query, since every request signed in with a cookie that is not remembered asks it.
  virtual std::optional<SessionUser> find_session_user(const std::string& token_hash,
                                                       Millis now) = 0;
  virtual void delete_session(const std::string& token_hash) = 0;
  // Ends every session of the user.
  virtual void delete_user_sessions(const std::string& user_id) = 0;
  // Deletes the sessions that expired before `now`; returns how many.
  virtual int delete_expired_sessions(Millis now) = 0;

  // Invitations. list_invitations returns every invitation, newest first.
  virtual void create_invitation(const Invitation& invitation) = 0;
  virtual std::vector<Invitation> list_invitations() = 0;
  // Returns false when there is no such invitation.
  virtual bool delete_invitation(const std::string& invitation_id) = 0;

  // API keys.
  virtual void create_api_key(const ApiKey& key) = 0;
  virtual std::vector<ApiKey> list_api_keys(const std::string& user_id) = 0;
  // Returns false when the user has no such key.
  virtual bool delete_api_key(const std::string& user_id, const std::string& key_id) = 0;
  // Finds a key by the hash of its secret and records `now` as its last use.
  virtual std::optional<ApiKey> use_api_key(const std::string& secret_hash, Millis now) = 0;

  // Preferences: nothing until the user saves some.
  virtual std::optional<Preferences> get_preferences(const std::string& user_id) = 0;
  virtual void put_preferences(const std::string& user_id, const Preferences& prefs) = 0;

  // Jobs as their owner sees them. get_job and list_jobs fill Job::images for succeeded jobs.
  virtual void enqueue_job(const Job& job) = 0;
  virtual std::optional<Job> get_job(const std::string& user_id, const std::string& job_id) = 0;
  virtual std::vector<Job> list_jobs(const std::string& user_id, const Page& page) = 0;
  // Jobs that claims made from `now` on take before this one, if no job finished or arrived
  // meanwhile (0: next); nothing when it is not queued. This is the fair order of claim_job:
  // a job whose user has r jobs running and k queued before it starts in round r + k; within
  // a round, users not yet served since `now` go first, then by when they were served last
  // (src/store/queue_position_query.cpp). Jobs whose lease expired (their worker vanished) are
  // neither running nor counted ahead.
  virtual std::optional<int> queue_position(const std::string& job_id, Millis now) = 0;
  // The user's queued and running jobs, oldest first, each queued one with its queue_position
  // (read in one query for all of them): what a live view of the user's jobs starts from and
  // refreshes its positions with.
  virtual std::vector<UnfinishedJob> unfinished_jobs(const std::string& user_id, Millis now) = 0;
  // Queued jobs, all users.
  virtual int queue_depth() = 0;
  // A queued job becomes canceled at once; a running one gets cancel_requested, which its worker
  // sees when it renews or reports progress. Returns the job after the change; nothing when the
  // user has no such job. A job in a final state is returned unchanged.
  virtual std::optional<Job> request_cancel(const std::string& user_id, const std::string& job_id,
                                            Millis now) = 0;

  // The queue, as workers see it. A claim takes the job that is fairest to run next: among
  // queued jobs, and running jobs whose lease expired, the oldest job of the user with the fewest
  // jobs running, and among users with as many, of the user whose last job started longest ago
  // (so that with one worker, where nobody runs between two jobs, users take turns instead of
  // the oldest job always winning). It increments attempts and sets the lease. A job whose lease
  // expired after max_attempts claims is marked failed (with its last error) instead of being
  // claimed.
  virtual std::optional<Job> claim_job(const std::string& worker_id, Millis now,
                                       const QueuePolicy& policy) = 0;
  // Extends the lease and records progress. Returns false when the worker no longer holds the
  // lease, or cancellation was requested: the worker must then stop the job.
  virtual bool renew_lease(const std::string& job_id, const std::string& worker_id, double progress,
                           Millis now, const QueuePolicy& policy) = 0;
  // Inserts the images and marks the job succeeded in one transaction, only while `worker_id`
  // holds the lease. Idempotent: a job already succeeded is left as it is, and the call returns
  // true again only to the worker that completed it. Returns false when the lease was lost
  // (the caller then deletes the blobs it wrote).
  virtual bool complete_job(const std::string& job_id, const std::string& worker_id,
                            const std::vector<Image>& images, Millis now) = 0;
  // Records an error. retryable and attempts < max_attempts: the job goes back to the queue;
  // otherwise it fails. Returns false when the lease was lost.
  virtual bool fail_job(const std::string& job_id, const std::string& worker_id,
                        const std::string& code, const std::string& message, bool retryable,
                        Millis now, const QueuePolicy& policy) = 0;
  // The worker stopped because of a cancel request: the job becomes canceled.
  virtual bool cancel_job(const std::string& job_id, const std::string& worker_id, Millis now) = 0;
  // The worker is shutting down: the job goes back to the queue, and the claim does not count.
  virtual bool release_job(const std::string& job_id, const std::string& worker_id) = 0;

  // Images.
  virtual std::optional<Image> get_image(const std::string& user_id,
                                         const std::string& image_id) = 0;
  virtual std::vector<Image> list_images(const std::string& user_id, const ImageQuery& query) = 0;
  // How many of the user's images pass the query's filters (its page is ignored): one COUNT over
  // the conditions list_images uses, so that the total always matches what the pages hold.
  virtual std::int64_t count_matching_images(const std::string& user_id,
                                             const ImageQuery& query) = 0;
  virtual std::optional<Image> update_image(const std::string& user_id, const std::string& image_id,
                                            const ImagePatch& patch) = 0;
  // Deletes the row and returns it, so that the caller can delete its blobs.
  virtual std::optional<Image> delete_image(const std::string& user_id,
                                            const std::string& image_id) = 0;
  // Counts for /metrics.
  virtual std::int64_t count_images() = 0;

  // Limits and administration.
  // Every user, newest first, for administrators.
  virtual std::vector<User> list_users(const Page& page) = 0;
  // Replaces the user's own limits; returns the user after the change, nothing when there is
  // no such user.
  virtual std::optional<User> set_user_limits(const std::string& user_id,
                                              const UserLimits& limits) = 0;
  virtual std::optional<User> set_user_disabled(const std::string& user_id, bool disabled) = 0;
  // The user's usage, images counted from `day_start`.
  virtual Usage usage(const std::string& user_id, Millis day_start) = 0;
  // Queues the job as enqueue_job does, if `admit` accepts the user's usage read in the same
  // transaction; admissions for one user are serialized, across every process sharing the
  // database, so that no two can both take the last place. Returns false, queueing nothing,
  // when `admit` refuses.
  virtual bool enqueue_job_within(const Job& job, Millis day_start,
                                  const std::function<bool(const Usage&)>& admit) = 0;
  // Files an uploaded image: inserts `job` (task upload) already succeeded, holding `image` as
  // its only image (filed under the job's user and id), if `admit` accepts the user's usage read
  // in the same transaction, serialized per user as enqueue_job_within is. Returns false,
  // storing nothing, when `admit` refuses.
  virtual bool add_upload(const Job& job, const Image& image, Millis day_start,
                          const std::function<bool(const Usage&)>& admit) = 0;
  // Request rates shared by the API processes: applies each charge (one per user) to its user's
  // allowance and returns the allowance of every user not whole at `now_us`, the charged ones
  // included. Allowances whole for over a minute are forgotten when charges come.
  virtual std::vector<RateState> exchange_request_rates(const std::vector<RateCharge>& charges,
                                                        std::int64_t now_us) = 0;
};

// Builds the Store that a database URL names: "sqlite:///path/to.db", "sqlite://relative.db",
// "sqlite::memory:", or a libpq URL "postgres://user:password@host:port/database" (also
// "postgresql://"). The caller applies migrations with migrate().
std::unique_ptr<Store> open_store(const std::string& url);

// The job notifications that reach every process sharing the database at `url`: in memory for
// SQLite (one process), LISTEN/NOTIFY for PostgreSQL.
std::unique_ptr<JobEvents> open_job_events(const std::string& url);

}  // namespace rendermart
