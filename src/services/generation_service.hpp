#pragma once

#include <string>
#include <vector>

#include "core/job_events.hpp"
#include "services/generation_request.hpp"
#include "services/job_feed.hpp"
#include "services/model_catalog.hpp"
#include "services/preference_service.hpp"
#include "services/quota_service.hpp"
#include "store/store.hpp"

namespace rendermart {

class GenerationService {
 public:
  GenerationService(Store& store, const ModelCatalog& catalog, PreferenceService& preferences,
                    QuotaService& quotas, JobEvents& events, std::string default_model);

  // Resolves and validates the request, then queues it within the user's quotas: the job is
  // durable when this returns. Throws not_found when the request names an image that is not the
  // user's, LimitExceeded(quota_exceeded) when a quota refuses it.
  Job create(const User& user, const GenerationRequest& request);
  // Throws not_found for another user's job.
  Job get(const User& user, const std::string& job_id);
  std::vector<Job> list(const User& user, const Page& page);
  Job cancel(const User& user, const std::string& job_id);
  std::optional<int> queue_position(const Job& job);

  JobEvents& events() { return events_; }
  // The live view of each user's jobs, for the stream of all of a user's jobs.
  JobFeed& feed() { return feed_; }
  const std::string& default_model() const { return default_model_; }

 private:
  Store& store_;
  const ModelCatalog& catalog_;
  PreferenceService& preferences_;
  QuotaService& quotas_;
  JobEvents& events_;
  std::string default_model_;
  JobFeed feed_;
};

}  // namespace rendermart
