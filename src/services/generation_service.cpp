#include "services/generation_service.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"

namespace rendermart {

GenerationService::GenerationService(Store& store, const ModelCatalog& catalog,
                                     PreferenceService& preferences, QuotaService& quotas,
                                     JobEvents& events, std::string default_model)
    : store_(store),
      catalog_(catalog),
      preferences_(preferences),
      quotas_(quotas),
      events_(events),
      default_model_(std::move(default_model)),
      feed_(store, events) {}

Job GenerationService::create(const User& user, const GenerationRequest& request) {
  // The images a request names must be the user's own: another user's image is not found, like
  // any other resource of theirs.
  const auto user_image = [&](const std::optional<std::string>& id) -> std::optional<Image> {
    if (!id || id->empty()) return std::nullopt;
    auto image = store_.get_image(user.id, *id);
    if (!image) throw not_found("image '" + *id + "'");
    return image;
  };
  const RequestImages images{user_image(request.source_image_id), user_image(request.mask_image_id),
                             user_image(request.style_image_id)};
  Job job;
  job.params =
      resolve_generation(request, preferences_.get(user.id), catalog_, default_model_, images);
  job.id = new_id();
  job.user_id = user.id;
  job.status = JobStatus::queued;
  job.created_at = now_millis();
  quotas_.enqueue(user, job);
  events_.notify_job_queued();
  // The user's other tabs learn of the job, and queue positions move for everyone.
  events_.publish(JobEvent{JobEvent::Type::status, job.id, job.user_id, 0, JobStatus::queued});
  return job;
}

Job GenerationService::get(const User& user, const std::string& job_id) {
  auto job = store_.get_job(user.id, job_id);
  if (!job) throw not_found("generation");
  return *job;
}

std::vector<Job> GenerationService::list(const User& user, const Page& page) {
  return store_.list_jobs(user.id, page);
}

Job GenerationService::cancel(const User& user, const std::string& job_id) {
  auto job = store_.request_cancel(user.id, job_id, now_millis());
  if (!job) throw not_found("generation");
  if (job->status == JobStatus::canceled) {
    events_.publish(
        JobEvent{JobEvent::Type::status, job->id, job->user_id, job->progress, job->status});
  }
  return *job;
}

std::optional<int> GenerationService::queue_position(const Job& job) {
  if (job.status != JobStatus::queued) return std::nullopt;
  return store_.queue_position(job.id, now_millis());
}

}  // namespace rendermart
