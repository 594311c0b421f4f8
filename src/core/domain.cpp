#include "core/domain.hpp"

namespace rendermart {

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::queued: return "queued";
    case JobStatus::running: return "running";
    case JobStatus::succeeded: return "succeeded";
    case JobStatus::failed: return "failed";
    case JobStatus::canceled: return "canceled";
  }
  return "queued";
}

std::optional<JobStatus> job_status_from_string(const std::string& text) {
  for (auto s : {JobStatus::queued, JobStatus::running, JobStatus::succeeded, JobStatus::failed,
                 JobStatus::canceled}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

bool is_final(JobStatus status) {
  return status == JobStatus::succeeded || status == JobStatus::failed ||
         status == JobStatus::canceled;
}

}  // namespace rendermart
