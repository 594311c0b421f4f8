#pragma once

// The job lifecycle's decisions, the same in every backend: what a worker's report (complete,
// fail) or a user's cancel does to a job, decided from what the backend read of the job in its
// transaction. Backends only read the row and run the SQL for the step decided here. Claims
// and lease renewals are single set-based statements in each backend's SQL (the oldest fair
// candidate, an expired lease) and have no step to decide.

#include <string>

#include "core/domain.hpp"
#include "store/store.hpp"

namespace rendermart {

// What complete_job, fail_job, cancel_job and release_job read of a job before they change it.
struct LeaseRow {
  std::string user_id;
  JobStatus status = JobStatus::queued;
  std::string lease_owner;
  int attempts = 0;
  bool cancel_requested = false;

  bool held_by(const std::string& worker_id) const {
    return status == JobStatus::running && lease_owner == worker_id;
  }
};

enum class CompletionStep {
  record,            // store the images and mark the job succeeded
  already_recorded,  // the same worker completed it before: succeed again, change nothing
  refuse,            // the worker lost the lease: it deletes its own files
};
CompletionStep completion_step(const LeaseRow& lease, const std::string& worker_id);

enum class FailureStep {
  requeue,  // back to the queue for another attempt
  cancel,   // retryable, but the user asked to cancel it: canceled
  fail,     // failed for good
  refuse,   // the worker does not hold the lease: change nothing
};
FailureStep failure_step(const LeaseRow& lease, const std::string& worker_id, bool retryable,
                         const QueuePolicy& policy);

enum class CancelStep {
  cancel_now,      // queued: canceled at once
  ask_the_worker,  // running: flagged; the worker stops at its next step or lease renewal
  nothing,         // already finished
};
CancelStep cancel_step(JobStatus status);

}  // namespace rendermart
