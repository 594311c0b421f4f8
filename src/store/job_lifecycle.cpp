#include "store/job_lifecycle.hpp"

namespace rendermart {

CompletionStep completion_step(const LeaseRow& lease, const std::string& worker_id) {
  if (lease.status == JobStatus::succeeded) {
    return lease.lease_owner == worker_id ? CompletionStep::already_recorded
                                          : CompletionStep::refuse;
  }
  return lease.held_by(worker_id) ? CompletionStep::record : CompletionStep::refuse;
}

FailureStep failure_step(const LeaseRow& lease, const std::string& worker_id, bool retryable,
                         const QueuePolicy& policy) {
  if (!lease.held_by(worker_id)) return FailureStep::refuse;
  if (!retryable || lease.attempts >= policy.max_attempts) return FailureStep::fail;
  return lease.cancel_requested ? FailureStep::cancel : FailureStep::requeue;
}

CancelStep cancel_step(JobStatus status) {
  switch (status) {
    case JobStatus::queued: return CancelStep::cancel_now;
    case JobStatus::running: return CancelStep::ask_the_worker;
    case JobStatus::succeeded:
    case JobStatus::failed:
    case JobStatus::canceled: return CancelStep::nothing;
  }
  return CancelStep::nothing;
}

}  // namespace rendermart
