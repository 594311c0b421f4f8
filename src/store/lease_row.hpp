#pragma once

// What complete_job, fail_job, cancel_job and release_job read of a job before they change it,
// in every backend: the lease rules are the same, only the SQL differs.

#include <string>

#include "core/domain.hpp"

namespace rendermart {

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

}  // namespace rendermart
