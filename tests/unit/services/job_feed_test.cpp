#include "services/job_feed.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace rendermart {
namespace {

using namespace std::chrono_literals;

// What one follower was told, waited for from the test's thread.
class Told {
 public:
  JobFeed::Follower follower() {
    return {
        .on_status =
            [this](const UnfinishedJob& job) {
              std::lock_guard lock(mutex_);
              statuses_.push_back(job.job.id);
              changed_.notify_all();
            },
        .on_progress = [](const JobEvent&) {},
        .on_positions =
            [this](const std::vector<QueuePosition>& positions) {
              std::lock_guard lock(mutex_);
              positions_.push_back(positions);
              changed_.notify_all();
            },
    };
  }
  std::vector<std::string> statuses() {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  // Waits until the latest positions told are `expected`.
  bool positions_become(const std::vector<QueuePosition>& expected) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s,
                             [&] { return !positions_.empty() && positions_.back() == expected; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> statuses_;
  std::vector<std::vector<QueuePosition>> positions_;
};

class JobFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store("sqlite::memory:");
    store_->migrate();
    alice_ = make_user("alice@example.com");
    bob_ = make_user("bob@example.com");
  }

  User make_user(const std::string& email) {
    User user{.id = new_id(), .email = email, .password_hash = "hash", .created_at = now_millis()};
    store_->create_user(user);
    return user;
  }

  // Queues a job and announces it, as GenerationService::create does.
  Job enqueue(const User& user) {
    Job job;
    job.id = new_id();
    job.user_id = user.id;
    job.params = {.prompt = "a fox", .model = "procedural", .width = 64, .height = 64, .count = 1};
    job.created_at = now_millis() + ++created_;  // distinct, in the order queued
    store_->enqueue_job(job);
    events_.publish(JobEvent{JobEvent::Type::status, job.id, job.user_id, 0, JobStatus::queued});
    return job;
  }

  std::unique_ptr<Store> store_;
  InProcessJobEvents events_;
  User alice_;
  User bob_;
  Millis created_ = 0;
};

const JobFeedOptions kFast{.max_followers_per_user = 2, .position_interval = 10ms};

TEST_F(JobFeedTest, FollowersHearOfTheirOwnJobsOnly) {
  JobFeed feed(*store_, events_, kFast);
  Told alice_told;
  Told bob_told;
  const auto alice_followed = feed.follow(alice_.id, alice_told.follower());
  const auto bob_followed = feed.follow(bob_.id, bob_told.follower());
  EXPECT_TRUE(alice_followed.second.empty());

  const Job a1 = enqueue(alice_);
  const Job b1 = enqueue(bob_);
  const Job a2 = enqueue(alice_);
  EXPECT_EQ(alice_told.statuses(), (std::vector<std::string>{a1.id, a2.id}));
  EXPECT_EQ(bob_told.statuses(), (std::vector<std::string>{b1.id}));
}

TEST_F(JobFeedTest, FollowingStartsFromTheUnfinishedJobsWithTheirPositions) {
  const Job a1 = enqueue(alice_);
  const Job a2 = enqueue(alice_);
  JobFeed feed(*store_, events_, kFast);
  Told told;
  const auto followed = feed.follow(alice_.id, told.follower());
  ASSERT_EQ(followed.second.size(), 2U);
  EXPECT_EQ(followed.second[0].job.id, a1.id);
  EXPECT_EQ(followed.second[0].queue_position, 0);
  EXPECT_EQ(followed.second[1].job.id, a2.id);
  EXPECT_EQ(followed.second[1].queue_position, 1);
}

TEST_F(JobFeedTest, PositionsMoveWhenAJobAheadLeavesTheQueue) {
  const Job a1 = enqueue(alice_);
  const Job a2 = enqueue(alice_);
  const Job a3 = enqueue(alice_);
  JobFeed feed(*store_, events_, kFast);
  Told told;
  const auto followed = feed.follow(alice_.id, told.follower());

  ASSERT_TRUE(store_->request_cancel(alice_.id, a1.id, now_millis()));
  events_.publish(JobEvent{JobEvent::Type::status, a1.id, a1.user_id, 0, JobStatus::canceled});
  EXPECT_TRUE(told.positions_become({{a2.id, 0}, {a3.id, 1}}));

  // Another user's job is placed by turns: Bob has nothing running, so his goes before Alice's
  // last one.
  enqueue(bob_);
  EXPECT_TRUE(told.positions_become({{a2.id, 0}, {a3.id, 2}}));
}

// A SQLite store whose next get_job, once read, is held until released: a status event read
// before a change and handed on after it.
class HeldReadStore : public SqliteStore {
 public:
  using SqliteStore::SqliteStore;

  std::optional<Job> get_job(const std::string& user_id, const std::string& job_id) override {
    auto job = SqliteStore::get_job(user_id, job_id);
    std::unique_lock lock(mutex_);
    if (hold_next_) {
      hold_next_ = false;
      held_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, 10s, [&] { return released_; });
    }
    return job;
  }
  void hold_next() {
    std::lock_guard lock(mutex_);
    hold_next_ = true;
  }
  bool wait_until_held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return held_; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_next_ = false;
  bool held_ = false;
  bool released_ = false;
};

// In memory, an API request announces a job it queued while a worker announces that it started
// it, each on its own thread; the follower must not be told "queued" after "running".
TEST(JobFeedOrder, AStatusReadBeforeAChangeIsNotHandedOnAfterIt) {
  HeldReadStore store(":memory:");
  store.migrate();
  const User user{.id = new_id(), .email = "a@example.com", .password_hash = "hash"};
  store.create_user(user);
  Job job;
  job.id = new_id();
  job.user_id = user.id;
  job.params = {.prompt = "a fox", .model = "procedural", .width = 64, .height = 64, .count = 1};
  job.created_at = now_millis();
  store.enqueue_job(job);
  InProcessJobEvents events;
  JobFeed feed(store, events, kFast);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<JobStatus> told;
  const auto followed =
      feed.follow(user.id, {.on_status =
                                [&](const UnfinishedJob& current) {
                                  std::lock_guard lock(mutex);
                                  told.push_back(current.job.status);
                                  changed.notify_all();
                                },
                            .on_progress = [](const JobEvent&) {},
                            .on_positions = [](const std::vector<QueuePosition>&) {}});

  store.hold_next();
  std::thread api([&] {
    events.publish(JobEvent{JobEvent::Type::status, job.id, user.id, 0, JobStatus::queued});
  });
  ASSERT_TRUE(store.wait_until_held());  // the API's event read the job queued
  ASSERT_TRUE(store.claim_job("worker", now_millis(), QueuePolicy{}));
  std::thread worker([&] {
    events.publish(JobEvent{JobEvent::Type::status, job.id, user.id, 0, JobStatus::running});
  });
  {
    // Unordered, the worker's event would be handed on now, while the API's is held.
    std::unique_lock lock(mutex);
    changed.wait_for(lock, 200ms, [&] { return !told.empty(); });
  }
  store.release();
  api.join();
  worker.join();
  EXPECT_EQ(told, (std::vector<JobStatus>{JobStatus::queued, JobStatus::running}));
}

TEST_F(JobFeedTest, AUserHoldsAtMostTheFollowersAllowed) {
  JobFeed feed(*store_, events_, kFast);
  auto one = feed.follow(alice_.id, {});
  const auto two = feed.follow(alice_.id, {});
  try {
    feed.follow(alice_.id, {});
    FAIL() << "a third follower was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::quota_exceeded);
  }
  EXPECT_NO_THROW(feed.follow(bob_.id, {}));
  one.first.reset();
  EXPECT_NO_THROW(feed.follow(alice_.id, {}));
}

}  // namespace
}  // namespace rendermart
