// The lifecycle decisions over every status, lease holder, attempt count, cancel request and
// kind of error.

#include <gtest/gtest.h>

#include <array>

#include "store/job_lifecycle.hpp"

namespace rendermart {
namespace {

constexpr std::array kStatuses{JobStatus::queued, JobStatus::running, JobStatus::succeeded,
                               JobStatus::failed, JobStatus::canceled};
const QueuePolicy kPolicy{.lease_ms = 30'000, .max_attempts = 3};

LeaseRow lease(JobStatus status, const std::string& owner, int attempts = 1,
               bool cancel_requested = false) {
  return LeaseRow{"user", status, owner, attempts, cancel_requested};
}

TEST(JobLifecycle, OnlyTheWorkerHoldingARunningJobsLeaseCompletesIt) {
  for (const auto status : kStatuses) {
    for (const std::string owner : {"w1", "w2", ""}) {
      const auto step = completion_step(lease(status, owner), "w1");
      if (status == JobStatus::running && owner == "w1") {
        EXPECT_EQ(step, CompletionStep::record);
      } else if (status == JobStatus::succeeded && owner == "w1") {
        EXPECT_EQ(step, CompletionStep::already_recorded) << "a repeated completion succeeds";
      } else {
        EXPECT_EQ(step, CompletionStep::refuse) << to_string(status) << " owner " << owner;
      }
    }
  }
}

TEST(JobLifecycle, AFailureFromAnyoneButTheLeaseHolderChangesNothing) {
  for (const auto status : kStatuses) {
    for (const std::string owner : {"w1", "w2"}) {
      if (status == JobStatus::running && owner == "w1") continue;
      for (const bool retryable : {false, true}) {
        EXPECT_EQ(failure_step(lease(status, owner), "w1", retryable, kPolicy), FailureStep::refuse)
            << to_string(status) << " owner " << owner;
      }
    }
  }
}

TEST(JobLifecycle, ARetryableFailureRequeuesUntilTheAttemptsRunOut) {
  for (int attempts = 1; attempts <= 4; ++attempts) {
    const auto step = failure_step(lease(JobStatus::running, "w1", attempts), "w1", true, kPolicy);
    EXPECT_EQ(step, attempts < kPolicy.max_attempts ? FailureStep::requeue : FailureStep::fail)
        << "attempt " << attempts;
  }
}

TEST(JobLifecycle, AFailureThatNoRetryHelpsFailsAtOnce) {
  for (const bool cancel_requested : {false, true}) {
    EXPECT_EQ(
        failure_step(lease(JobStatus::running, "w1", 1, cancel_requested), "w1", false, kPolicy),
        FailureStep::fail);
  }
}

TEST(JobLifecycle, ARetryableFailureOfAJobTheUserCanceledEndsCanceled) {
  EXPECT_EQ(failure_step(lease(JobStatus::running, "w1", 1, true), "w1", true, kPolicy),
            FailureStep::cancel);
  EXPECT_EQ(failure_step(lease(JobStatus::running, "w1", 3, true), "w1", true, kPolicy),
            FailureStep::fail)
      << "with no attempt left the failure is the outcome";
}

TEST(JobLifecycle, CancelingStopsAQueuedJobAtOnceAsksARunningOneAndLeavesFinishedOnes) {
  EXPECT_EQ(cancel_step(JobStatus::queued), CancelStep::cancel_now);
  EXPECT_EQ(cancel_step(JobStatus::running), CancelStep::ask_the_worker);
  for (const auto status : {JobStatus::succeeded, JobStatus::failed, JobStatus::canceled}) {
    EXPECT_EQ(cancel_step(status), CancelStep::nothing) << to_string(status);
  }
}

}  // namespace
}  // namespace rendermart
