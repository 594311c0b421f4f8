// What only the PostgreSQL backend has to show: migrations from several connections at once,
// claims from two "processes" with SKIP LOCKED, surviving a server restart, LISTEN/NOTIFY job
// events across instances, and the tsquery built from search text. Runs against the throw-away
// cluster of tests/support/pg_test_server.hpp; every wait is bounded.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/account_changes.hpp"
#include "store/postgres/pg_job_events.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/store.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

using namespace std::chrono_literals;

constexpr Millis kT0 = 1'700'000'000'000;
// Bounds on waits for something that normally takes milliseconds.
constexpr auto kEventTimeout = 10s;
// Calls after a restart may fail while the server comes back; they are retried this often.
constexpr int kRetriesAfterRestart = 50;
constexpr auto kRetryDelay = 100ms;

User make_user(Store& store, const std::string& email) {
  User user{.id = new_id(), .email = email, .password_hash = "hash", .created_at = kT0};
  store.create_user(user);
  return user;
}

Job enqueue(Store& store, const std::string& user_id, Millis created_at) {
  Job job;
  job.id = new_id();
  job.user_id = user_id;
  job.params = {.prompt = "a fox", .model = "procedural", .width = 64, .height = 64, .count = 1};
  job.created_at = created_at;
  store.enqueue_job(job);
  return job;
}

Image image_for(const Job& job, Millis now) {
  Image image;
  image.id = new_id();
  image.params = job.params;
  image.blob_key = "images/" + job.id + ".png";
  image.bytes = 1;
  image.sha256 = "ab";
  image.created_at = now;
  return image;
}

// Calls `body` until it stops throwing `unavailable` (a server coming back), a bounded number
// of times; returns how many calls failed.
template <typename Body>
int retry_unavailable(Body&& body) {
  for (int failures = 0;; ++failures) {
    try {
      body();
      return failures;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::unavailable || failures + 1 >= kRetriesAfterRestart) throw;
      std::this_thread::sleep_for(kRetryDelay);
    }
  }
}

// Collects the events a subscription receives, and waits for them.
class EventLog {
 public:
  JobEvents::Listener listener() {
    return [this](const JobEvent& event) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
      }
      changed_.notify_all();
    };
  }

  // Waits until `count` events arrived; returns them all.
  std::vector<JobEvent> wait_for(std::size_t count,
                                 std::chrono::milliseconds timeout = kEventTimeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<JobEvent> events_;
};

JobEvent progress_event(const std::string& job_id, double progress) {
  return JobEvent{.type = JobEvent::Type::progress,
                  .job_id = job_id,
                  .progress = progress,
                  .status = JobStatus::running};
}

TEST(PgOpenStore, BothUrlSchemesOpenAPostgresStoreAndEvents) {
  const std::string url = testing::pg_test_server().create_database();
  const std::string long_form = url;  // postgresql://...
  const std::string short_form = "postgres" + url.substr(std::string("postgresql").size());
  for (const auto& form : {long_form, short_form}) {
    auto store = open_store(form);
    store->migrate();
    store->ping();
    EXPECT_EQ(store->count_images(), 0);
    EXPECT_NE(dynamic_cast<PostgresJobEvents*>(open_job_events(form).get()), nullptr);
  }
  EXPECT_NE(dynamic_cast<InProcessJobEvents*>(open_job_events("sqlite::memory:").get()), nullptr);
}

TEST(PgStoreMigration, FourConnectionsMigratingAtOnceAgree) {
  const std::string url = testing::pg_test_server().create_database();
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) stores.push_back(open_store(url));
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (auto& store : stores) {
    threads.emplace_back([&store, &failures] {
      try {
        store->migrate();
      } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);

  const User user = make_user(*stores[0], "alice@example.com");
  for (auto& store : stores) EXPECT_TRUE(store->find_user(user.id));
  stores[3]->migrate();  // and again, with nothing left to do
}

// Two stores stand for two processes, each with four worker threads. Every job must be claimed
// exactly once and completed exactly once.
TEST(PgStoreQueue, ClaimsFromTwoProcessesTakeEachJobOnce) {
  const std::string url = testing::pg_test_server().create_database();
  auto first = open_store(url);
  auto second = open_store(url);
  first->migrate();

  constexpr int kJobs = 300;
  std::vector<User> users;
  for (int u = 0; u < 5; ++u) {
    users.push_back(make_user(*first, "user" + std::to_string(u) + "@x.io"));
  }
  std::map<std::string, Job> jobs;
  for (int i = 0; i < kJobs; ++i) {
    Job job = enqueue(*first, users[static_cast<std::size_t>(i) % users.size()].id, kT0 + i);
    jobs.emplace(job.id, job);
  }

  const QueuePolicy long_lease{.lease_ms = 3'600'000, .max_attempts = 3};
  std::mutex claimed_mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    Store& store = w % 2 == 0 ? *first : *second;
    workers.emplace_back([&, w] {
      const std::string worker = "worker-" + std::to_string(w);
      while (auto job = store.claim_job(worker, kT0 + 1'000, long_lease)) {
        EXPECT_TRUE(
            store.complete_job(job->id, worker, {image_for(*job, kT0 + 2'000)}, kT0 + 2'000));
        std::lock_guard lock(claimed_mutex);
        claimed.insert(job->id);
      }
    });
  }
  for (auto& worker : workers) worker.join();

  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<std::size_t>(kJobs));
  EXPECT_EQ(first->count_images(), kJobs);
  EXPECT_EQ(second->queue_depth(), 0);
  for (const auto& [id, job] : jobs) {
    const auto stored = second->get_job(job.user_id, id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->status, JobStatus::succeeded);
    EXPECT_EQ(stored->attempts, 1);
    EXPECT_EQ(stored->images.size(), 1U);
  }
}

// The pool replaces connections that a restart broke: after the server comes back, calls
// succeed (the first may fail with `unavailable`) and nothing committed before is lost.
TEST(PgStoreReconnect, CallsSucceedAfterTheServerRestarts) {
  auto& server = testing::pg_test_server();
  auto store = open_store(server.create_database());
  store->migrate();
  const User alice = make_user(*store, "alice@example.com");
  const Job before = enqueue(*store, alice.id, kT0);
  // Several pooled connections, all broken by the restart.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&] { EXPECT_EQ(store->queue_depth(), 1); });
  for (auto& reader : readers) reader.join();

  server.restart();

  // Idle connections that the restart closed are replaced on checkout, so no call should fail;
  // one is allowed, for a connection that breaks between that check and its use.
  const int failures = retry_unavailable([&] { store->ping(); });
  EXPECT_LE(failures, 1);
  std::optional<Job> claimed;
  retry_unavailable([&] { claimed = store->claim_job("w1", kT0 + 10, QueuePolicy{}); });
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, before.id);
  const Job after = enqueue(*store, alice.id, kT0 + 20);
  EXPECT_TRUE(store->complete_job(before.id, "w1", {image_for(before, kT0 + 30)}, kT0 + 30));
  EXPECT_EQ(store->get_job(alice.id, before.id)->images.size(), 1U);
  EXPECT_EQ(store->queue_position(after.id, kT0 + 30), 0);
  EXPECT_TRUE(store->find_user(alice.id));
}

TEST(PgStoreReconnect, AnUnreachableServerIsUnavailable) {
  // Port 1 (tcpmux): nothing listens there; the connection is refused at once.
  const std::string url = "postgres://rendermart:s3cret@127.0.0.1:1/rendermart";
  auto store = open_store(url);  // connects lazily
  try {
    store->ping();
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::unavailable);
    EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("PostgreSQL"), std::string::npos);
  }
}

TEST(PgStoreErrors, UniqueViolationIsAConflictOtherErrorsAreInternal) {
  auto store = open_store(testing::pg_test_server().create_database());
  store->migrate();
  const User alice = make_user(*store, "alice@example.com");
  const Job job = enqueue(*store, alice.id, kT0);
  try {
    store->enqueue_job(job);  // same id
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::conflict);
  }
  try {
    store->create_session("token", "no-such-user", kT0);  // a foreign key
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::internal);
  }
}

TEST(PgJobEvents, AnEventPublishedByOneInstanceReachesAnother) {
  const std::string url = testing::pg_test_server().create_database();
  auto api = open_job_events(url);
  auto worker = open_job_events(url);
  EventLog api_log;
  EventLog worker_log;
  EventLog other_job_log;
  const auto api_subscription = api->subscribe("job-1", api_log.listener());
  const auto worker_subscription = worker->subscribe("job-1", worker_log.listener());
  const auto other_subscription = api->subscribe("job-2", other_job_log.listener());
  // The streams of users' jobs listen to every job.
  EventLog every_job_log;
  const auto every_subscription = api->subscribe_all(every_job_log.listener());

  auto loading = progress_event("job-1", 0.25);
  loading.stage = JobStage::loading_model;
  worker->publish(loading);
  worker->publish(JobEvent{.type = JobEvent::Type::status,
                           .job_id = "job-1",
                           .user_id = "user-1",
                           .progress = 1,
                           .status = JobStatus::succeeded});

  const auto received = api_log.wait_for(2);
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[0].type, JobEvent::Type::progress);
  EXPECT_EQ(received[0].job_id, "job-1");
  EXPECT_DOUBLE_EQ(received[0].progress, 0.25);
  EXPECT_EQ(received[0].stage, JobStage::loading_model);
  EXPECT_EQ(received[1].type, JobEvent::Type::status);
  EXPECT_EQ(received[1].status, JobStatus::succeeded);
  EXPECT_EQ(received[1].user_id, "user-1");
  // The publishing instance's own subscribers get each event once, through the server.
  EXPECT_EQ(worker_log.wait_for(2).size(), 2U);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(worker_log.wait_for(2).size(), 2U);
  EXPECT_EQ(api_log.wait_for(2).size(), 2U);
  EXPECT_TRUE(other_job_log.wait_for(1, 0ms).empty());
  EXPECT_EQ(every_job_log.wait_for(2).size(), 2U);
}

JobEvent status_event(const std::string& job_id, JobStatus status) {
  return JobEvent{.type = JobEvent::Type::status, .job_id = job_id, .status = status};
}

TEST(PgJobEvents, RepeatedEventsAllArriveInTheOrderPublished) {
  const std::string url = testing::pg_test_server().create_database();
  auto api = open_job_events(url);
  auto worker = open_job_events(url);
  EventLog log;
  const auto subscription = api->subscribe("job", log.listener());
  // A retry: the same "running" event twice, which PostgreSQL would deliver once if both were
  // sent in one transaction.
  const std::vector<JobStatus> sent{JobStatus::running, JobStatus::queued, JobStatus::running,
                                    JobStatus::running, JobStatus::succeeded};
  for (const auto status : sent) worker->publish(status_event("job", status));

  const auto received = log.wait_for(sent.size());
  ASSERT_EQ(received.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(received[i].status, sent[i]) << i;
}

TEST(PgJobEvents, EventsPublishedJustBeforeShutdownAreStillSent) {
  const std::string url = testing::pg_test_server().create_database();
  auto api = open_job_events(url);
  EventLog log;
  const auto subscription = api->subscribe("job", log.listener());
  {
    auto worker = open_job_events(url);
    worker->publish(status_event("job", JobStatus::succeeded));
  }
  EXPECT_EQ(log.wait_for(1).size(), 1U);
}

TEST(PgJobEvents, UnsubscribedListenersHearNothing) {
  const std::string url = testing::pg_test_server().create_database();
  auto events = open_job_events(url);
  EventLog kept;
  EventLog dropped;
  const auto keep = events->subscribe("job", kept.listener());
  events->subscribe("job", dropped.listener()).reset();
  events->publish(progress_event("job", 0.5));
  EXPECT_EQ(kept.wait_for(1).size(), 1U);
  EXPECT_TRUE(dropped.wait_for(1, 0ms).empty());
}

TEST(PgJobEvents, QueuedJobWakesAWorkerInAnotherInstance) {
  const std::string url = testing::pg_test_server().create_database();
  auto api = open_job_events(url);
  auto worker = open_job_events(url);
  std::atomic<bool> woke = false;
  const auto start = std::chrono::steady_clock::now();
  const auto heard = worker->jobs_queued_heard();
  std::thread waiting([&] {
    worker->wait_for_job(heard,
                         std::chrono::duration_cast<std::chrono::milliseconds>(kEventTimeout));
    woke = true;
  });
  // Give the worker time to start waiting, so that the notification finds it waiting.
  std::this_thread::sleep_for(200ms);
  api->notify_job_queued();
  waiting.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kEventTimeout / 2);
}

TEST(PgJobEvents, EventsResumeAfterTheServerRestarts) {
  auto& server = testing::pg_test_server();
  const std::string url = server.create_database();
  auto api_events = open_job_events(url);
  auto worker_events = open_job_events(url);
  auto* api = dynamic_cast<PostgresJobEvents*>(api_events.get());
  ASSERT_NE(api, nullptr);
  EventLog log;
  const auto subscription = api->subscribe("job", log.listener());
  worker_events->publish(progress_event("job", 0.1));
  ASSERT_EQ(log.wait_for(1).size(), 1U);

  server.restart();

  // Publish until the listener is back and hears one (publishes during the outage are dropped
  // by design; the bound keeps the test finite).
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (log.wait_for(2, 100ms).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    worker_events->publish(progress_event("job", 0.2));
  }
  EXPECT_GE(log.wait_for(2, 0ms).size(), 2U);
  EXPECT_TRUE(api->listening());
}

// Collects what an account-changes watcher tells, and waits for it.
class AccountChangeLog {
 public:
  AccountChangeHandlers handlers() {
    return {.changed = [this](const std::string& user_id) { add("changed " + user_id); },
            .listening = [this] { add("listening"); },
            .lost = [this] { add("lost"); }};
  }

  // Waits until `entry` arrived `count` times (bounded); true if it did.
  bool wait_for(const std::string& entry, int count = 1) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kEventTimeout, [&] {
      return std::count(entries_.begin(), entries_.end(), entry) >= count;
    });
  }

  std::vector<std::string> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  void add(std::string entry) {
    {
      std::lock_guard lock(mutex_);
      entries_.push_back(std::move(entry));
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> entries_;
};

TEST(PgAccountChanges, EveryChangeToAUserOrTheirSessionsIsHeardByAnotherConnection) {
  const std::string url = testing::pg_test_server().create_database();
  auto store = open_store(url);
  store->migrate();
  AccountChangeLog log;
  const auto watcher = watch_account_changes(url, log.handlers());
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(log.wait_for("listening"));

  const User alice = make_user(*store, "alice@example.com");
  const User bob = make_user(*store, "bob@example.com");
  store->create_session("a1", alice.id, kT0 + 1000);
  store->create_session("a2", alice.id, kT0 + 1000);
  store->create_session("b1", bob.id, kT0 + 1000);

  store->delete_session("a1");
  EXPECT_TRUE(log.wait_for("changed " + alice.id, 1));
  store->set_user_disabled(bob.id, true);
  EXPECT_TRUE(log.wait_for("changed " + bob.id, 1));
  store->change_password(alice.id, "new hash", "");
  EXPECT_TRUE(log.wait_for("changed " + alice.id, 2));
  store->set_user_limits(bob.id, UserLimits{});
  EXPECT_TRUE(log.wait_for("changed " + bob.id, 2));
  store->delete_user(bob.id);
  EXPECT_TRUE(log.wait_for("changed " + bob.id, 3));
  // Creating users and sessions changes nothing anyone remembers.
  const auto entries = log.entries();
  EXPECT_EQ(std::count(entries.begin(), entries.end(), "listening"), 1);
  EXPECT_EQ(std::count(entries.begin(), entries.end(), "lost"), 0);
}

TEST(PgAccountChanges, ALostConnectionIsToldThenListeningAgain) {
  auto& server = testing::pg_test_server();
  const std::string url = server.create_database();
  auto store = open_store(url);
  store->migrate();
  AccountChangeLog log;
  const auto watcher = watch_account_changes(url, log.handlers());
  ASSERT_TRUE(log.wait_for("listening"));

  server.restart();

  EXPECT_TRUE(log.wait_for("lost"));
  EXPECT_TRUE(log.wait_for("listening", 2));
  User alice;
  retry_unavailable([&] { alice = make_user(*store, "alice@example.com"); });
  store->set_user_disabled(alice.id, true);
  EXPECT_TRUE(log.wait_for("changed " + alice.id));
}

TEST(PgAccountChanges, SqliteAnnouncesNothing) {
  EXPECT_EQ(watch_account_changes("sqlite::memory:", {}), nullptr);
}

TEST(PgTsquery, QuotesEachWordAsAPrefixTermAndAndsThem) {
  EXPECT_EQ(pg_tsquery("red fox"), "'red':* & 'fox':*");
  EXPECT_EQ(pg_tsquery("  red\t\nfox  "), "'red':* & 'fox':*");
  EXPECT_EQ(pg_tsquery("sci-fi"), "'sci-fi':*");
  EXPECT_EQ(pg_tsquery("a|b !c (d) e:*"), "'a|b':* & '!c':* & '(d)':* & 'e:*':*");
  EXPECT_EQ(pg_tsquery(""), "");
  EXPECT_EQ(pg_tsquery(" \t\r\n"), "");
}

TEST(PgTsquery, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(pg_tsquery("it's"), "'it''s':*");
  EXPECT_EQ(pg_tsquery("a\\b"), "'a\\\\b':*");
  EXPECT_EQ(pg_tsquery("'"), "'''':*");
}

TEST(PgTsquery, InvalidUtf8AndControlCharactersSeparateWords) {
  EXPECT_EQ(pg_tsquery(std::string("a\0b", 3)), "'a':* & 'b':*");
  EXPECT_EQ(pg_tsquery("a\xff"
                       "b"),
            "'a':* & 'b':*");
  EXPECT_EQ(pg_tsquery("\xe6\x97"), "");      // a truncated sequence
  EXPECT_EQ(pg_tsquery("\xc0\xaf"), "");      // an overlong '/'
  EXPECT_EQ(pg_tsquery("\xed\xa0\x80"), "");  // a UTF-16 surrogate
  EXPECT_EQ(pg_tsquery("café 日本 🦊"), "'café':* & '日本':* & '🦊':*");
}

}  // namespace
}  // namespace rendermart
