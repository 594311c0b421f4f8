// The job queue of every Store backend: the job state machine, leases, fairness, cancellation and
// claims from several threads and two "processes" at once. Times are fixed values (kT0 + ...),
// so that lease expiry is exact.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;
const QueuePolicy kPolicy{.lease_ms = 30'000, .max_attempts = 3};

User make_user(Store& store, const std::string& email) {
  User user{.id = new_id(), .email = email, .password_hash = "hash", .created_at = kT0};
  store.create_user(user);
  return user;
}

Job make_job(const std::string& user_id, Millis created_at, int count = 2) {
  Job job;
  job.id = new_id();
  job.user_id = user_id;
  job.params = {.prompt = "a red fox in the snow",
                .negative_prompt = "blurry",
                .model = "procedural",
                .style = "photo",
                .width = 512,
                .height = 384,
                .steps = 20,
                .cfg_scale = 7.5,
                .seed = 4'000'000'000U,
                .count = count};
  job.created_at = created_at;
  return job;
}

Job enqueue(Store& store, const std::string& user_id, Millis created_at, int count = 2) {
  Job job = make_job(user_id, created_at, count);
  store.enqueue_job(job);
  return job;
}

std::vector<Image> make_images(const Job& job, Millis now) {
  std::vector<Image> images;
  for (int i = 0; i < job.params.count; ++i) {
    Image image;
    image.id = new_id();
    image.user_id = job.user_id;
    image.job_id = job.id;
    image.index = i;
    image.params = job.params;
    image.params.seed = job.params.seed + static_cast<std::uint32_t>(i);
    image.params.count = 1;
    image.blob_key = "images/" + job.id + "/" + std::to_string(i) + ".png";
    image.bytes = 1000 + i;
    image.sha256 = std::string(64, 'a');
    image.created_at = now;
    images.push_back(image);
  }
  return images;
}

class StoreQueueTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      dir_ = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
      store_ = open_store("sqlite://" + (dir_ / "queue.db").string());
    } else if (GetParam() == "postgres") {
      store_ = open_store(testing::pg_test_server().create_database());
    } else {
      store_ = open_store("sqlite::memory:");
    }
    store_->migrate();
    alice_ = make_user(*store_, "alice@example.com");
    bob_ = make_user(*store_, "bob@example.com");
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Job job(const Job& job) { return *store_->get_job(job.user_id, job.id); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  User alice_;
  User bob_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreQueueTest, ::testing::Values("file", "memory", "postgres"),
                         [](const auto& backend) { return backend.param; });

TEST_P(StoreQueueTest, EnqueuedJobIsQueuedWithItsParams) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  const Job stored = job(queued);
  EXPECT_EQ(stored.status, JobStatus::queued);
  EXPECT_EQ(stored.params.prompt, "a red fox in the snow");
  EXPECT_EQ(stored.params.negative_prompt, "blurry");
  EXPECT_EQ(stored.params.model, "procedural");
  EXPECT_EQ(stored.params.style, "photo");
  EXPECT_EQ(stored.params.width, 512);
  EXPECT_EQ(stored.params.height, 384);
  EXPECT_EQ(stored.params.steps, 20);
  EXPECT_DOUBLE_EQ(stored.params.cfg_scale, 7.5);
  EXPECT_EQ(stored.params.seed, 4'000'000'000U);
  EXPECT_EQ(stored.params.count, 2);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.created_at, kT0);
  EXPECT_FALSE(stored.started_at);
  EXPECT_FALSE(stored.finished_at);
  EXPECT_TRUE(stored.images.empty());
}

TEST_P(StoreQueueTest, JobsAreVisibleOnlyToTheirOwner) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  EXPECT_FALSE(store_->get_job(bob_.id, queued.id));
  EXPECT_TRUE(store_->list_jobs(bob_.id, {}).empty());
  EXPECT_FALSE(store_->request_cancel(bob_.id, queued.id, kT0));
  EXPECT_EQ(job(queued).status, JobStatus::queued);
}

TEST_P(StoreQueueTest, ListJobsPagesNewestFirstWithoutGapsOrDuplicates) {
  std::set<std::string> created;
  for (int i = 0; i < 23; ++i) created.insert(enqueue(*store_, alice_.id, kT0 + i).id);
  enqueue(*store_, bob_.id, kT0);

  std::vector<std::string> seen;
  Page page{.limit = 5};
  for (;;) {
    const auto jobs = store_->list_jobs(alice_.id, page);
    ASSERT_LE(jobs.size(), 5U);
    for (const auto& j : jobs) seen.push_back(j.id);
    if (jobs.size() < 5) break;
    page.after_id = jobs.back().id;
  }
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);
  EXPECT_EQ(seen.size(), created.size());
}

TEST_P(StoreQueueTest, ClaimRunsTheJobUnderALease) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  const auto claimed = store_->claim_job("w1", kT0 + 10, kPolicy);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, queued.id);
  EXPECT_EQ(claimed->status, JobStatus::running);
  EXPECT_EQ(claimed->lease_owner, "w1");
  EXPECT_EQ(claimed->lease_expires_at, kT0 + 10 + kPolicy.lease_ms);
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(claimed->started_at, kT0 + 10);
  EXPECT_EQ(claimed->params.prompt, queued.params.prompt);

  // Nothing else to claim while the lease holds, even a millisecond before it expires.
  EXPECT_FALSE(store_->claim_job("w2", kT0 + 10, kPolicy));
  EXPECT_FALSE(store_->claim_job("w2", kT0 + 10 + kPolicy.lease_ms, kPolicy));
}

TEST_P(StoreQueueTest, ClaimOnAnEmptyQueueGetsNothing) {
  EXPECT_FALSE(store_->claim_job("w1", kT0, kPolicy));
}

TEST_P(StoreQueueTest, RenewExtendsTheLeaseAndRecordsProgress) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  EXPECT_TRUE(store_->renew_lease(queued.id, "w1", 0.5, kT0 + 20'000, kPolicy));
  Job running = job(queued);
  EXPECT_DOUBLE_EQ(running.progress, 0.5);
  EXPECT_EQ(running.lease_expires_at, kT0 + 20'000 + kPolicy.lease_ms);
  // Still held past the first expiry time, thanks to the renewal.
  EXPECT_FALSE(store_->claim_job("w2", kT0 + 40'000, kPolicy));

  // Out-of-range progress is clamped.
  EXPECT_TRUE(store_->renew_lease(queued.id, "w1", 7.0, kT0 + 21'000, kPolicy));
  EXPECT_DOUBLE_EQ(job(queued).progress, 1.0);
  EXPECT_TRUE(store_->renew_lease(queued.id, "w1", -1.0, kT0 + 22'000, kPolicy));
  EXPECT_DOUBLE_EQ(job(queued).progress, 0.0);
}

TEST_P(StoreQueueTest, RenewByAnotherWorkerFails) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  EXPECT_FALSE(store_->renew_lease(queued.id, "w2", 0.5, kT0 + 1, kPolicy));
  EXPECT_EQ(job(queued).lease_expires_at, kT0 + kPolicy.lease_ms);
  EXPECT_FALSE(store_->renew_lease("no-such-job", "w1", 0.5, kT0 + 1, kPolicy));
}

TEST_P(StoreQueueTest, CompleteInsertsImagesAndSucceeds) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  auto images = make_images(queued, kT0 + 5);
  std::reverse(images.begin(), images.end());  // the stored order is by index, whatever comes in
  ASSERT_TRUE(store_->complete_job(queued.id, "w1", images, kT0 + 5));

  const Job done = job(queued);
  EXPECT_EQ(done.status, JobStatus::succeeded);
  EXPECT_DOUBLE_EQ(done.progress, 1.0);
  EXPECT_EQ(done.finished_at, kT0 + 5);
  EXPECT_EQ(done.lease_owner, "w1");  // who completed it, so a repeated call can be told apart
  ASSERT_EQ(done.images.size(), 2U);
  EXPECT_EQ(done.images[0].index, 0);
  EXPECT_EQ(done.images[1].index, 1);
  EXPECT_EQ(done.images[1].params.seed, 4'000'000'001U);
  EXPECT_EQ(done.images[0].blob_key, "images/" + queued.id + "/0.png");
  EXPECT_EQ(store_->count_images(), 2);

  const auto listed = store_->list_jobs(alice_.id, {});
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].images.size(), 2U);
}

TEST_P(StoreQueueTest, CompletingTwiceKeepsOneSetOfImages) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  ASSERT_TRUE(store_->complete_job(queued.id, "w1", make_images(queued, kT0 + 5), kT0 + 5));
  // A retry of the same call: accepted, changes nothing.
  EXPECT_TRUE(store_->complete_job(queued.id, "w1", make_images(queued, kT0 + 9), kT0 + 9));
  // Another worker (one that lost the lease) is told its images were not recorded, so that it
  // deletes their files.
  EXPECT_FALSE(store_->complete_job(queued.id, "w2", make_images(queued, kT0 + 9), kT0 + 9));
  EXPECT_EQ(store_->count_images(), 2);
  EXPECT_EQ(job(queued).finished_at, kT0 + 5);
}

TEST_P(StoreQueueTest, ImagesAreFiledUnderTheJobAndItsOwner) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  auto images = make_images(queued, kT0 + 5);
  for (auto& image : images) {
    image.user_id = bob_.id;
    image.job_id = "some-other-job";
  }
  ASSERT_TRUE(store_->complete_job(queued.id, "w1", images, kT0 + 5));
  EXPECT_EQ(store_->list_images(alice_.id, {}).size(), 2U);
  EXPECT_TRUE(store_->list_images(bob_.id, {}).empty());
  EXPECT_EQ(job(queued).images.size(), 2U);
}

TEST_P(StoreQueueTest, ExpiredLeaseIsClaimedByAnotherWorker) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  const Millis after_expiry = kT0 + kPolicy.lease_ms + 1;
  const auto reclaimed = store_->claim_job("w2", after_expiry, kPolicy);
  ASSERT_TRUE(reclaimed);
  EXPECT_EQ(reclaimed->id, queued.id);
  EXPECT_EQ(reclaimed->lease_owner, "w2");
  EXPECT_EQ(reclaimed->attempts, 2);
  EXPECT_EQ(reclaimed->started_at, kT0);  // the first start

  // The worker that lost the lease can neither renew nor complete, and writes no rows.
  EXPECT_FALSE(store_->renew_lease(queued.id, "w1", 0.9, after_expiry, kPolicy));
  EXPECT_FALSE(
      store_->complete_job(queued.id, "w1", make_images(queued, after_expiry), after_expiry));
  EXPECT_EQ(store_->count_images(), 0);
  EXPECT_FALSE(
      store_->fail_job(queued.id, "w1", "provider_error", "boom", true, after_expiry, kPolicy));
  EXPECT_FALSE(store_->cancel_job(queued.id, "w1", after_expiry));
  EXPECT_FALSE(store_->release_job(queued.id, "w1"));
  EXPECT_EQ(job(queued).status, JobStatus::running);

  EXPECT_TRUE(
      store_->complete_job(queued.id, "w2", make_images(queued, after_expiry), after_expiry));
  EXPECT_EQ(store_->count_images(), 2);
}

TEST_P(StoreQueueTest, LeaseExpiringOnTheLastAttemptFailsTheJob) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  Millis now = kT0;
  for (int attempt = 1; attempt <= kPolicy.max_attempts; ++attempt) {
    const auto claimed = store_->claim_job("w" + std::to_string(attempt), now, kPolicy);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->attempts, attempt);
    now += kPolicy.lease_ms + 1;
  }
  EXPECT_FALSE(store_->claim_job("w9", now, kPolicy));
  const Job failed = job(queued);
  EXPECT_EQ(failed.status, JobStatus::failed);
  EXPECT_EQ(failed.error_code, "lease_expired");
  EXPECT_FALSE(failed.error_message.empty());
  EXPECT_EQ(failed.finished_at, now);
  EXPECT_EQ(failed.lease_owner, "");
}

TEST_P(StoreQueueTest, ExhaustedJobKeepsItsLastRecordedError) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  ASSERT_TRUE(store_->fail_job(queued.id, "w1", "provider_error", "model server said 503", true,
                               kT0 + 1, kPolicy));
  Millis now = kT0 + 2;
  for (int attempt = 2; attempt <= kPolicy.max_attempts; ++attempt) {
    ASSERT_TRUE(store_->claim_job("w" + std::to_string(attempt), now, kPolicy));
    now += kPolicy.lease_ms + 1;
  }
  EXPECT_FALSE(store_->claim_job("w9", now, kPolicy));
  const Job failed = job(queued);
  EXPECT_EQ(failed.status, JobStatus::failed);
  EXPECT_EQ(failed.error_code, "provider_error");
  EXPECT_EQ(failed.error_message, "model server said 503");
}

TEST_P(StoreQueueTest, RetryableFailureRequeuesUntilAttemptsRunOut) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  for (int attempt = 1; attempt < kPolicy.max_attempts; ++attempt) {
    ASSERT_TRUE(store_->claim_job("w1", kT0 + attempt, kPolicy));
    ASSERT_TRUE(store_->fail_job(queued.id, "w1", "provider_error",
                                 "try " + std::to_string(attempt), true, kT0 + attempt, kPolicy));
    const Job requeued = job(queued);
    EXPECT_EQ(requeued.status, JobStatus::queued);
    EXPECT_EQ(requeued.attempts, attempt);
    EXPECT_EQ(requeued.error_code, "provider_error");
    EXPECT_EQ(requeued.lease_owner, "");
    EXPECT_FALSE(requeued.finished_at);
    EXPECT_EQ(store_->queue_position(queued.id, kT0 + attempt), 0);
  }
  ASSERT_TRUE(store_->claim_job("w1", kT0 + 10, kPolicy));
  ASSERT_TRUE(store_->fail_job(queued.id, "w1", "provider_error", "last", true, kT0 + 10, kPolicy));
  const Job failed = job(queued);
  EXPECT_EQ(failed.status, JobStatus::failed);
  EXPECT_EQ(failed.attempts, kPolicy.max_attempts);
  EXPECT_EQ(failed.error_message, "last");
  EXPECT_EQ(failed.finished_at, kT0 + 10);
}

TEST_P(StoreQueueTest, NonRetryableFailureFailsAtOnce) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  ASSERT_TRUE(
      store_->fail_job(queued.id, "w1", "content_filtered", "refused", false, kT0 + 3, kPolicy));
  const Job failed = job(queued);
  EXPECT_EQ(failed.status, JobStatus::failed);
  EXPECT_EQ(failed.error_code, "content_filtered");
  EXPECT_EQ(failed.error_message, "refused");
  EXPECT_EQ(failed.finished_at, kT0 + 3);
  EXPECT_EQ(failed.attempts, 1);
}

TEST_P(StoreQueueTest, ReleaseRequeuesWithoutCountingTheClaim) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  store_->renew_lease(queued.id, "w1", 0.4, kT0 + 1, kPolicy);
  ASSERT_TRUE(store_->release_job(queued.id, "w1"));
  const Job released = job(queued);
  EXPECT_EQ(released.status, JobStatus::queued);
  EXPECT_EQ(released.attempts, 0);
  EXPECT_EQ(released.lease_owner, "");
  EXPECT_DOUBLE_EQ(released.progress, 0.0);
  EXPECT_FALSE(store_->release_job(queued.id, "w1"));

  const auto again = store_->claim_job("w2", kT0 + 2, kPolicy);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 1);
}

TEST_P(StoreQueueTest, CancelOfAQueuedJobIsImmediate) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  const auto canceled = store_->request_cancel(alice_.id, queued.id, kT0 + 7);
  ASSERT_TRUE(canceled);
  EXPECT_EQ(canceled->status, JobStatus::canceled);
  EXPECT_EQ(canceled->finished_at, kT0 + 7);
  EXPECT_FALSE(store_->claim_job("w1", kT0 + 8, kPolicy));
  EXPECT_EQ(store_->queue_depth(), 0);
  EXPECT_FALSE(store_->queue_position(queued.id, kT0 + 8));
}

TEST_P(StoreQueueTest, CancelOfARunningJobIsRequestedThenHonoredByItsWorker) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  const auto requested = store_->request_cancel(alice_.id, queued.id, kT0 + 1);
  ASSERT_TRUE(requested);
  EXPECT_EQ(requested->status, JobStatus::running);
  EXPECT_TRUE(requested->cancel_requested);

  // The worker learns of it when it renews, and stops.
  EXPECT_FALSE(store_->renew_lease(queued.id, "w1", 0.3, kT0 + 2, kPolicy));
  EXPECT_FALSE(store_->cancel_job(queued.id, "w2", kT0 + 3));
  EXPECT_TRUE(store_->cancel_job(queued.id, "w1", kT0 + 3));
  const Job canceled = job(queued);
  EXPECT_EQ(canceled.status, JobStatus::canceled);
  EXPECT_EQ(canceled.finished_at, kT0 + 3);
  EXPECT_EQ(canceled.lease_owner, "");
}

TEST_P(StoreQueueTest, CancelRequestedJobIsNotRetried) {
  const Job failing = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  store_->request_cancel(alice_.id, failing.id, kT0 + 1);
  ASSERT_TRUE(store_->fail_job(failing.id, "w1", "provider_error", "503", true, kT0 + 2, kPolicy));
  EXPECT_EQ(job(failing).status, JobStatus::canceled);

  const Job released = enqueue(*store_, alice_.id, kT0 + 10);
  store_->claim_job("w1", kT0 + 10, kPolicy);
  store_->request_cancel(alice_.id, released.id, kT0 + 11);
  ASSERT_TRUE(store_->release_job(released.id, "w1"));
  EXPECT_EQ(job(released).status, JobStatus::canceled);
  EXPECT_TRUE(job(released).finished_at);

  // A worker that vanished after the request: the job is canceled, not claimed again.
  const Job abandoned = enqueue(*store_, alice_.id, kT0 + 20);
  store_->claim_job("w1", kT0 + 20, kPolicy);
  store_->request_cancel(alice_.id, abandoned.id, kT0 + 21);
  const Millis after_expiry = kT0 + 20 + kPolicy.lease_ms + 1;
  EXPECT_FALSE(store_->claim_job("w2", after_expiry, kPolicy));
  EXPECT_EQ(job(abandoned).status, JobStatus::canceled);
  EXPECT_EQ(job(abandoned).finished_at, after_expiry);
}

TEST_P(StoreQueueTest, CompleteWinsOverAPendingCancelRequest) {
  const Job queued = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  store_->request_cancel(alice_.id, queued.id, kT0 + 1);
  EXPECT_TRUE(store_->complete_job(queued.id, "w1", make_images(queued, kT0 + 2), kT0 + 2));
  EXPECT_EQ(job(queued).status, JobStatus::succeeded);
}

TEST_P(StoreQueueTest, FinalJobsDoNotChange) {
  const Job succeeded = enqueue(*store_, alice_.id, kT0);
  store_->claim_job("w1", kT0, kPolicy);
  store_->complete_job(succeeded.id, "w1", make_images(succeeded, kT0 + 1), kT0 + 1);
  const Job failed = enqueue(*store_, alice_.id, kT0 + 2);
  store_->claim_job("w1", kT0 + 2, kPolicy);
  store_->fail_job(failed.id, "w1", "provider_error", "x", false, kT0 + 3, kPolicy);
  const Job canceled = enqueue(*store_, alice_.id, kT0 + 4);
  store_->request_cancel(alice_.id, canceled.id, kT0 + 5);

  for (const Job* final_job : {&succeeded, &failed, &canceled}) {
    const Job before = job(*final_job);
    const auto after = store_->request_cancel(alice_.id, final_job->id, kT0 + 100);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, before.status);
    EXPECT_FALSE(after->cancel_requested);
    EXPECT_EQ(after->finished_at, before.finished_at);
    EXPECT_EQ(after->images.size(), before.images.size());
    EXPECT_FALSE(store_->renew_lease(final_job->id, "w1", 0.5, kT0 + 100, kPolicy));
    EXPECT_FALSE(store_->fail_job(final_job->id, "w1", "x", "y", true, kT0 + 100, kPolicy));
    EXPECT_FALSE(store_->cancel_job(final_job->id, "w1", kT0 + 100));
    EXPECT_FALSE(store_->release_job(final_job->id, "w1"));
    EXPECT_EQ(job(*final_job).status, before.status);
  }
  EXPECT_FALSE(store_->complete_job(failed.id, "w1", {}, kT0 + 100));
  EXPECT_FALSE(store_->complete_job(canceled.id, "w1", {}, kT0 + 100));
  EXPECT_FALSE(store_->claim_job("w1", kT0 + 1'000'000, kPolicy));
}

TEST_P(StoreQueueTest, ClaimIsFairAcrossUsers) {
  for (int i = 0; i < 10; ++i) enqueue(*store_, alice_.id, kT0 + i);
  const Job bobs = enqueue(*store_, bob_.id, kT0 + 100);

  const auto first = store_->claim_job("w1", kT0 + 200, kPolicy);
  const auto second = store_->claim_job("w2", kT0 + 200, kPolicy);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->user_id, alice_.id);  // the oldest job, nobody running yet
  EXPECT_EQ(first->created_at, kT0);
  EXPECT_EQ(second->id, bobs.id);  // Bob has nothing running, Alice one job
  const auto third = store_->claim_job("w3", kT0 + 200, kPolicy);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->created_at, kT0 + 1);  // Alice's jobs follow in order
}

TEST_P(StoreQueueTest, ClaimsRoundRobinAcrossUsersByRunningCount) {
  const User carol = make_user(*store_, "carol@example.com");
  for (int i = 0; i < 3; ++i) enqueue(*store_, alice_.id, kT0 + i);
  for (int i = 3; i < 6; ++i) enqueue(*store_, bob_.id, kT0 + i);
  enqueue(*store_, carol.id, kT0 + 6);

  std::vector<std::pair<std::string, Millis>> order;
  while (auto claimed = store_->claim_job("w", kT0 + 10, kPolicy)) {
    order.emplace_back(claimed->user_id, claimed->created_at - kT0);
  }
  const std::vector<std::pair<std::string, Millis>> expected = {
      {alice_.id, 0}, {bob_.id, 3},   {carol.id, 6}, {alice_.id, 1},
      {bob_.id, 4},   {alice_.id, 2}, {bob_.id, 5}};
  EXPECT_EQ(order, expected);
}

TEST_P(StoreQueueTest, ExpiredLeaseCountsAsNotRunningForFairness) {
  const Job stuck = enqueue(*store_, alice_.id, kT0);
  enqueue(*store_, bob_.id, kT0 + 1);
  ASSERT_EQ(store_->claim_job("w1", kT0 + 2, kPolicy)->id, stuck.id);
  ASSERT_EQ(store_->claim_job("w2", kT0 + 3, kPolicy)->user_id, bob_.id);
  enqueue(*store_, bob_.id, kT0 + 4);
  const Millis later = kT0 + 2 + kPolicy.lease_ms + 1;
  // Alice's worker vanished, so nothing of hers runs while Bob's job does: her expired job goes
  // before Bob's queued one.
  const auto claimed = store_->claim_job("w2", later, kPolicy);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, stuck.id);
  EXPECT_EQ(claimed->attempts, 2);
}

TEST_P(StoreQueueTest, QueuePositionFollowsTheFairOrder) {
  const Job a1 = enqueue(*store_, alice_.id, kT0);
  const Job a2 = enqueue(*store_, alice_.id, kT0 + 1);
  const Job a3 = enqueue(*store_, alice_.id, kT0 + 2);
  const Job b1 = enqueue(*store_, bob_.id, kT0 + 3);
  EXPECT_EQ(store_->queue_depth(), 4);
  // Alice's first job and Bob's only one are each their user's first: a1 is older.
  EXPECT_EQ(store_->queue_position(a1.id, kT0 + 4), 0);
  EXPECT_EQ(store_->queue_position(b1.id, kT0 + 4), 1);
  EXPECT_EQ(store_->queue_position(a2.id, kT0 + 4), 2);
  EXPECT_EQ(store_->queue_position(a3.id, kT0 + 4), 3);
  EXPECT_FALSE(store_->queue_position("no-such-job", kT0 + 4));

  store_->claim_job("w1", kT0 + 5, kPolicy);  // takes a1
  EXPECT_FALSE(store_->queue_position(a1.id, kT0 + 5));
  EXPECT_EQ(store_->queue_position(b1.id, kT0 + 5), 0);  // Alice has a job running
  EXPECT_EQ(store_->queue_position(a2.id, kT0 + 5), 1);
  EXPECT_EQ(store_->queue_position(a3.id, kT0 + 5), 2);
}

// A user's unfinished jobs come oldest first, the queued ones with the positions queue_position
// gives them one by one, read for all of them at once.
TEST_P(StoreQueueTest, UnfinishedJobsCarryTheirQueuePositions) {
  const Job a1 = enqueue(*store_, alice_.id, kT0);
  const Job a2 = enqueue(*store_, alice_.id, kT0 + 1);
  const Job b1 = enqueue(*store_, bob_.id, kT0 + 2);
  const Job a3 = enqueue(*store_, alice_.id, kT0 + 3);
  const Job a4 = enqueue(*store_, alice_.id, kT0 + 4);
  store_->claim_job("w1", kT0 + 5, kPolicy);  // takes a1
  ASSERT_TRUE(store_->request_cancel(alice_.id, a4.id, kT0 + 6));

  const auto unfinished = store_->unfinished_jobs(alice_.id, kT0 + 7);
  ASSERT_EQ(unfinished.size(), 3U);
  EXPECT_EQ(unfinished[0].job.id, a1.id);
  EXPECT_EQ(unfinished[0].job.status, JobStatus::running);
  EXPECT_FALSE(unfinished[0].queue_position);
  EXPECT_EQ(unfinished[1].job.id, a2.id);
  EXPECT_EQ(unfinished[2].job.id, a3.id);
  for (const auto& [job, position] : unfinished) {
    if (job.status == JobStatus::queued) {
      EXPECT_EQ(position, store_->queue_position(job.id, kT0 + 7)) << job.id;
    }
  }
  EXPECT_EQ(unfinished[1].queue_position, 1);  // Bob's only job goes first: Alice has one running
  EXPECT_EQ(unfinished[2].queue_position, 2);

  const auto bobs = store_->unfinished_jobs(bob_.id, kT0 + 7);
  ASSERT_EQ(bobs.size(), 1U);
  EXPECT_EQ(bobs[0].job.id, b1.id);
  EXPECT_EQ(bobs[0].queue_position, 0);
}

// With one worker nobody has a job running when the next is claimed: users then take turns,
// the one served longest ago first, instead of the oldest job always winning.
TEST_P(StoreQueueTest, WithOneWorkerUsersTakeTurns) {
  const Job a1 = enqueue(*store_, alice_.id, kT0);
  const Job a2 = enqueue(*store_, alice_.id, kT0 + 1);
  const Job a3 = enqueue(*store_, alice_.id, kT0 + 2);
  const Job b1 = enqueue(*store_, bob_.id, kT0 + 3);
  const Job b2 = enqueue(*store_, bob_.id, kT0 + 4);
  std::vector<std::string> order;
  Millis now = kT0 + 10;
  while (const auto claimed = store_->claim_job("w1", now, kPolicy)) {
    order.push_back(claimed->id);
    ASSERT_TRUE(store_->complete_job(claimed->id, "w1", {}, now + 5));
    now += 10;
  }
  EXPECT_EQ(order, (std::vector<std::string>{a1.id, b1.id, a2.id, b2.id, a3.id}));
}

TEST_P(StoreQueueTest, QueuePositionTellsAUserServedNextSo) {
  for (int i = 0; i < 50; ++i) enqueue(*store_, alice_.id, kT0 + i);
  ASSERT_TRUE(store_->claim_job("w1", kT0 + 100, kPolicy));  // Alice's first
  const Job bobs = enqueue(*store_, bob_.id, kT0 + 101);
  EXPECT_EQ(store_->queue_position(bobs.id, kT0 + 102), 0);
  const auto alices = store_->list_jobs(alice_.id, Page{.limit = 100});
  const auto by_age = [](const Job& a, const Job& b) { return a.created_at < b.created_at; };
  const auto newest = std::max_element(alices.begin(), alices.end(), by_age);
  EXPECT_EQ(store_->queue_position(newest->id, kT0 + 102), 49);  // after 48 of hers and Bob's
}

// Positions are the order in which claims take the jobs, whatever the mix of users, ages,
// running jobs and when each user was served last, as long as no job finishes or arrives in
// between.
TEST_P(StoreQueueTest, QueuePositionsAreTheClaimOrder) {
  const User carol = make_user(*store_, "carol@example.com");
  const User dave = make_user(*store_, "dave@example.com");
  // Carol was served before; Dave never was.
  const Job earlier = enqueue(*store_, carol.id, kT0 - 2000);
  ASSERT_TRUE(store_->claim_job("w0", kT0 - 1000, kPolicy));
  ASSERT_TRUE(store_->complete_job(earlier.id, "w0", {}, kT0 - 900));
  const std::vector<std::string> owners = {alice_.id, alice_.id, bob_.id,  alice_.id, carol.id,
                                           bob_.id,   alice_.id, carol.id, dave.id,   alice_.id,
                                           dave.id,   alice_.id, bob_.id,  alice_.id};
  Millis created = kT0;
  for (const auto& owner : owners) enqueue(*store_, owner, created++);
  // Alice and Bob each have one job running already.
  ASSERT_TRUE(store_->claim_job("w0", created, kPolicy));
  ASSERT_TRUE(store_->claim_job("w0", created, kPolicy));
  std::vector<std::pair<int, std::string>> predicted;
  for (const auto& owner : {alice_.id, bob_.id, carol.id, dave.id}) {
    for (const auto& listed : store_->list_jobs(owner, Page{.limit = 100})) {
      if (const auto position = store_->queue_position(listed.id, created)) {
        predicted.emplace_back(*position, listed.id);
      }
    }
  }
  std::sort(predicted.begin(), predicted.end());
  ASSERT_EQ(predicted.size(), owners.size() - 2);
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    EXPECT_EQ(predicted[i].first, static_cast<int>(i));
    const auto claimed = store_->claim_job("w1", created + 1 + static_cast<Millis>(i), kPolicy);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->id, predicted[i].second) << "claim " << i;
  }
}

// Two stores on one file stand for two processes; each serves two worker threads. Every job
// must be claimed exactly once, and each completion must land exactly once.
TEST(StoreQueueConcurrency, ParallelClaimsFromTwoProcessesNeverShareAJob) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  const std::string url = "sqlite://" + (dir / "shared.db").string();
  auto first = open_store(url);
  auto second = open_store(url);
  {
    std::thread migrating([&] { second->migrate(); });
    first->migrate();
    migrating.join();
  }

  constexpr int kJobs = 200;
  std::vector<User> users;
  for (int u = 0; u < 5; ++u)
    users.push_back(make_user(*first, "user" + std::to_string(u) + "@x.io"));
  std::map<std::string, Job> jobs;
  for (int i = 0; i < kJobs; ++i) {
    Job job = enqueue(*first, users[static_cast<std::size_t>(i) % users.size()].id, kT0 + i, 1);
    jobs.emplace(job.id, job);
  }

  const QueuePolicy long_lease{.lease_ms = 3'600'000, .max_attempts = 3};
  std::mutex claimed_mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    Store& store = w % 2 == 0 ? *first : *second;
    workers.emplace_back([&, w] {
      const std::string worker = "worker-" + std::to_string(w);
      while (auto job = store.claim_job(worker, kT0 + 1'000, long_lease)) {
        EXPECT_TRUE(store.complete_job(job->id, worker, make_images(jobs.at(job->id), kT0 + 2'000),
                                       kT0 + 2'000));
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
  for (const auto& [id, job] : jobs) EXPECT_EQ(second->get_job(job.user_id, id)->attempts, 1);

  first.reset();
  second.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rendermart
