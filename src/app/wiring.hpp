#pragma once

// The one place that knows how to build the platform's objects from the configuration.
// Everything else receives its collaborators ready-made.

#include <memory>

#include "api/api_context.hpp"
#include "app/config.hpp"
#include "blob/blob_store.hpp"
#include "core/job_events.hpp"
#include "core/metrics.hpp"
#include "core/periodic_task.hpp"
#include "http/router.hpp"
#include "library/folder_watch.hpp"
#include "library/pull_manager.hpp"
#include "providers/bedrock/bedrock_client.hpp"
#include "providers/openai/openai_provider.hpp"
#include "services/account_service.hpp"
#include "services/generation_service.hpp"
#include "services/image_service.hpp"
#include "services/model_catalog.hpp"
#include "services/preference_service.hpp"
#include "services/quota_service.hpp"
#include "services/readiness.hpp"
#include "services/session_cache.hpp"
#include "services/upload_service.hpp"
#include "services/user_admin_service.hpp"
#include "services/worker_pool.hpp"
#include "store/account_changes.hpp"
#include "store/store.hpp"

namespace rendermart {

// The built-in providers, and those the configuration sets up (cloud, local models). With
// `metrics`, providers that report figures (the local engine's memory) register them there.
std::unique_ptr<ModelCatalog> build_catalog(const Config& config, Metrics* metrics = nullptr);

// The configured cloud providers: nothing when the configuration sets none up.
std::shared_ptr<BedrockClient> bedrock_client(const Config& config);
std::vector<std::string> bedrock_model_ids(const Config& config);
std::shared_ptr<OpenAiProvider> openai_provider(const Config& config);

// The whole platform in one process. Members are declared in dependency order, so destruction
// runs from the outermost part inwards.
struct Platform {
  explicit Platform(const Config& config);

  Config config;
  Metrics metrics;
  std::unique_ptr<Store> store;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<ModelCatalog> catalog;
  // With the local engine: pulls and removals through the API, and a look at the models folder
  // every few seconds for changes made by others (`rendermart models` in another process); each
  // change refreshes the catalog.
  std::unique_ptr<library::PullManager> model_library;
  std::unique_ptr<library::FolderWatch> models_watch;
  // With a cloud provider: its service's models listed again every RENDERMART_CLOUD_REFRESH_SECONDS
  // (new models appear, retired ones go); each listing refreshes the catalog.
  std::unique_ptr<PeriodicTask> cloud_refresh;
  std::unique_ptr<JobEvents> events;
  // Signed-in users remembered between requests while the database's account changes are heard
  // (PostgreSQL); the watcher is declared after the cache it tells, so destroyed before it.
  SessionCache sessions;
  std::unique_ptr<AccountChanges> account_changes;
  std::unique_ptr<AccountService> accounts;
  std::unique_ptr<PreferenceService> preferences;
  std::unique_ptr<QuotaService> quotas;
  std::unique_ptr<UserAdminService> users;
  std::unique_ptr<GenerationService> generations;
  std::unique_ptr<ImageService> images;
  std::unique_ptr<UploadService> uploads;
  std::unique_ptr<Readiness> readiness;
  std::unique_ptr<PasswordPool> passwords;
  std::unique_ptr<api::ApiContext> api_context;

  // Routes of the API role: the REST API, health and metrics, and the web app when present.
  http::Router api_router();
  // Routes of the worker role: health and metrics only.
  http::Router worker_router();
  std::unique_ptr<WorkerPool> make_workers();
};

}  // namespace rendermart
