// What the Store counts against a user's limits, the limits it keeps per user, disabled
// accounts, and admissions that two stores on one database (two processes) make at once.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <thread>
#include <utility>

#include "core/ids.hpp"
#include "store/store.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;
const QueuePolicy kPolicy{.lease_ms = 30'000, .max_attempts = 3};

User make_user(Store& store, const std::string& email, Millis created_at = kT0,
               std::string id = new_id()) {
  User user{.id = std::move(id), .email = email, .password_hash = "hash", .created_at = created_at};
  store.create_user(user);
  return user;
}

Job make_job(const std::string& user_id, Millis created_at, int count) {
  Job job;
  job.id = new_id();
  job.user_id = user_id;
  job.params = {.prompt = "a fox",
                .model = "procedural",
                .width = 64,
                .height = 64,
                .steps = 1,
                .count = count};
  job.created_at = created_at;
  return job;
}

class StoreLimitsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      dir_ = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
      url_ = "sqlite://" + (dir_ / "limits.db").string();
    } else {
      url_ = testing::pg_test_server().create_database();
    }
    store_ = open_store(url_);
    store_->migrate();
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreLimitsTest, ::testing::Values("file", "postgres"),
                         [](const auto& backend) { return backend.param; });

TEST_P(StoreLimitsTest, UsageCountsJobsInFlightTheDaysImagesAndStoredBytes) {
  auto& store = *store_;
  const auto user = make_user(store, "usage@x.io");
  const auto other = make_user(store, "other@x.io");
  const Millis day = kT0 + 1000;
  store.enqueue_job(make_job(user.id, day - 10, 4));  // yesterday's: not in today's images
  const auto done = make_job(user.id, day + 1, 2);
  store.enqueue_job(done);
  const auto canceled = make_job(user.id, day + 2, 3);
  store.enqueue_job(canceled);
  store.enqueue_job(make_job(other.id, day + 3, 5));
  ASSERT_TRUE(store.request_cancel(user.id, canceled.id, day + 4));

  // Claim until the user's job of today is claimed, and complete it with two images.
  std::optional<Job> claimed;
  while ((claimed = store.claim_job("w", day + 5, kPolicy)) && claimed->id != done.id) {
  }
  ASSERT_TRUE(claimed);
  std::vector<Image> images;
  for (int i = 0; i < 2; ++i) {
    Image image;
    image.id = new_id();
    image.user_id = user.id;
    image.job_id = done.id;
    image.index = i;
    image.params = done.params;
    image.blob_key = "k" + std::to_string(i);
    image.bytes = 1000;
    image.thumbnail_bytes = 300;
    image.created_at = day + 6;
    images.push_back(image);
  }
  ASSERT_TRUE(store.complete_job(done.id, "w", images, day + 6));

  const auto usage = store.usage(user.id, day);
  EXPECT_EQ(usage.jobs_in_flight, 1);  // yesterday's, still queued or running
  EXPECT_EQ(usage.images_today, 2);    // the canceled job gave its 3 back
  EXPECT_EQ(usage.stored_bytes, 2 * 1300);
  EXPECT_EQ(store.usage(other.id, day).images_today, 5);
}

TEST_P(StoreLimitsTest, AnAdmissionThatRefusesQueuesNothing) {
  auto& store = *store_;
  const auto user = make_user(store, "admit@x.io");
  const auto job = make_job(user.id, kT0, 1);
  Usage seen;
  EXPECT_FALSE(store.enqueue_job_within(job, kT0, [&](const Usage& usage) {
    seen = usage;
    return false;
  }));
  EXPECT_EQ(seen.jobs_in_flight, 0);
  EXPECT_FALSE(store.get_job(user.id, job.id));
  EXPECT_TRUE(store.enqueue_job_within(job, kT0, [](const Usage&) { return true; }));
  EXPECT_TRUE(store.get_job(user.id, job.id));
}

TEST_P(StoreLimitsTest, OwnLimitsAndDisabledAccountsAreKeptAndListed) {
  auto& store = *store_;
  // Users are listed by id, newest first; ids made in the same millisecond are in random order.
  std::array ids{new_id(), new_id()};
  std::sort(ids.begin(), ids.end());
  const auto older = make_user(store, "older@x.io", kT0, ids[0]);
  const auto newer = make_user(store, "newer@x.io", kT0 + 1, ids[1]);
  UserLimits limits;
  limits.jobs_in_flight = 3;
  limits.stored_bytes = std::int64_t{1} << 40;
  const auto changed = store.set_user_limits(older.id, limits);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->limits.jobs_in_flight, 3);
  EXPECT_EQ(changed->limits.stored_bytes, std::int64_t{1} << 40);
  EXPECT_FALSE(changed->limits.images_per_day);
  EXPECT_TRUE(store.set_user_disabled(older.id, true)->disabled);
  const auto found = store.find_user_by_email("older@x.io");
  EXPECT_TRUE(found->disabled);
  EXPECT_EQ(found->limits.jobs_in_flight, 3);
  EXPECT_FALSE(store.set_user_limits("nobody", limits));
  EXPECT_FALSE(store.set_user_disabled("nobody", true));

  const auto first = store.list_users({.limit = 1});
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].id, newer.id);
  const auto rest = store.list_users({.after_id = newer.id, .limit = 10});
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].id, older.id);
}

// Two stores on one database, as two API processes: 16 threads race to queue jobs for one user
// whose limit is 5 jobs in flight; exactly 5 get in.
TEST_P(StoreLimitsTest, TwoProcessesCannotBothTakeTheLastPlace) {
  auto second = open_store(url_);
  const auto user = make_user(*store_, "race@x.io");
  constexpr int kLimit = 5;
  std::atomic<int> admitted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    Store& store = t % 2 == 0 ? *store_ : *second;
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        const auto job = make_job(user.id, kT0, 1);
        if (store.enqueue_job_within(
                job, kT0, [](const Usage& usage) { return usage.jobs_in_flight < kLimit; })) {
          ++admitted;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted, kLimit);
  EXPECT_EQ(store_->usage(user.id, kT0).jobs_in_flight, kLimit);
}

// Request rates: charges compose as the requests did, every allowance not whole comes back, and
// those whole for a minute are forgotten.
TEST_P(StoreLimitsTest, RequestRateChargesApplyToTheSharedAllowance) {
  constexpr std::int64_t kNow = kT0 * 1000;
  constexpr std::int64_t kSecond = 1'000'000;
  // A first charge: nothing before it, so the allowance is its floor.
  auto states = store_->exchange_request_rates({{"a", 2 * kSecond, kNow + 2 * kSecond}}, kNow);
  ASSERT_EQ(states.size(), 1U);
  EXPECT_EQ(states[0].user_id, "a");
  EXPECT_EQ(states[0].full_at_us, kNow + 2 * kSecond);

  // Another process: its charge adds to what is there; b is new.
  auto second = open_store(url_);
  states = second->exchange_request_rates(
      {{"b", kSecond, kNow + kSecond}, {"a", 3 * kSecond, kNow + 3 * kSecond}}, kNow);
  std::sort(states.begin(), states.end(), [](auto& x, auto& y) { return x.user_id < y.user_id; });
  ASSERT_EQ(states.size(), 2U);
  EXPECT_EQ(states[0].full_at_us, kNow + 5 * kSecond);
  EXPECT_EQ(states[1].full_at_us, kNow + kSecond);

  // A floor later than the sum wins: the requests came after the allowance was whole.
  states = store_->exchange_request_rates({{"b", kSecond, kNow + 9 * kSecond}}, kNow);
  std::sort(states.begin(), states.end(), [](auto& x, auto& y) { return x.user_id < y.user_id; });
  ASSERT_EQ(states.size(), 2U) << "a comes back without a charge";
  EXPECT_EQ(states[0].full_at_us, kNow + 5 * kSecond);
  EXPECT_EQ(states[1].full_at_us, kNow + 9 * kSecond);

  // Six seconds on, a is whole: not returned, but remembered for a minute.
  states = store_->exchange_request_rates({}, kNow + 6 * kSecond);
  ASSERT_EQ(states.size(), 1U);
  EXPECT_EQ(states[0].user_id, "b");
  states = store_->exchange_request_rates({{"a", kSecond, kNow + 7 * kSecond}}, kNow + 6 * kSecond);
  std::sort(states.begin(), states.end(), [](auto& x, auto& y) { return x.user_id < y.user_id; });
  EXPECT_EQ(states[0].full_at_us, kNow + 7 * kSecond) << "the floor: a was whole at 5 s";

  // Two minutes on, both are forgotten: a new charge starts from its floor.
  EXPECT_TRUE(store_->exchange_request_rates({}, kNow + 120 * kSecond).empty());
  states =
      store_->exchange_request_rates({{"a", kSecond, kNow + 121 * kSecond}}, kNow + 120 * kSecond);
  ASSERT_EQ(states.size(), 1U);
  EXPECT_EQ(states[0].full_at_us, kNow + 121 * kSecond);
}

// Two stores on one database charging the same users at once, in opposite orders: no deadlock,
// and every charge counts.
TEST_P(StoreLimitsTest, ConcurrentRequestRateChargesAllCount) {
  constexpr std::int64_t kNow = kT0 * 1000;
  auto second = open_store(url_);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    Store& store = t % 2 == 0 ? *store_ : *second;
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 25; ++i) {
        std::vector<RateCharge> charges{
            {"x", 10, kNow + 10}, {"y", 10, kNow + 10}, {"z", 10, kNow + 10}};
        if (t % 2 == 1) std::reverse(charges.begin(), charges.end());
        store.exchange_request_rates(charges, kNow);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto states = store_->exchange_request_rates({}, kNow);
  ASSERT_EQ(states.size(), 3U);
  for (const auto& state : states) EXPECT_EQ(state.full_at_us, kNow + 100 * 10) << state.user_id;
}

}  // namespace
}  // namespace rendermart
