#include "app/wiring.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "api/routes.hpp"
#include "app/local_engine.hpp"
#include "core/error.hpp"
#include "core/list_setting.hpp"
#include "http/static_files.hpp"
#include "providers/bedrock/bedrock_provider.hpp"
#include "providers/procedural/procedural_provider.hpp"

namespace rendermart {
namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : self.parent_path();
}

// The built web app: the configured directory, or the first conventional place that has one.
std::optional<std::filesystem::path> find_web_dir(const Config& config) {
  if (!config.web_dir.empty()) {
    if (!std::filesystem::exists(std::filesystem::path(config.web_dir) / "index.html")) {
      throw invalid_argument("web_dir", "RENDERMART_WEB_DIR " + config.web_dir +
                                            " has no index.html: build the web app first");
    }
    return std::filesystem::path(config.web_dir);
  }
  for (const auto& candidate : {std::filesystem::path("web/dist"), executable_dir() / "../web/dist",
                                executable_dir() / "../share/rendermart/web"}) {
    if (std::filesystem::exists(candidate / "index.html")) return candidate;
  }
  return std::nullopt;
}

Registration registration_of(const Config& config) {
  if (config.registration == "closed") return Registration::closed;
  if (config.registration == "invite") return Registration::invite;
  return Registration::open;
}

}  // namespace

std::shared_ptr<BedrockClient> bedrock_client(const Config& config) {
  if (config.bedrock_region.empty()) return nullptr;
  BedrockOptions options;
  options.region = config.bedrock_region;
  options.runtime_endpoint = config.bedrock_endpoint;
  options.control_endpoint = config.bedrock_control_endpoint;
  options.timeout = std::chrono::seconds(config.bedrock_timeout_seconds);
  return std::make_shared<BedrockClient>(options, aws::default_credentials());
}

std::vector<std::string> bedrock_model_ids(const Config& config) {
  if (config.bedrock_models.empty()) return default_bedrock_model_ids();
  return split_list(config.bedrock_models);
}

std::shared_ptr<OpenAiProvider> openai_provider(const Config& config) {
  if (config.openai_base_url.empty()) return nullptr;
  OpenAiOptions options;
  options.base_url = config.openai_base_url;
  options.api_key = config.openai_api_key;
  std::vector<OpenAiFamily> extra;
  if (!config.openai_families_file.empty()) {
    std::ifstream file(config.openai_families_file);
    if (!file) {
      throw invalid_argument(
          "openai_families_file",
          "RENDERMART_OPENAI_FAMILIES_FILE: cannot read " + config.openai_families_file);
    }
    extra = parse_openai_families(std::string(std::istreambuf_iterator<char>(file), {}),
                                  config.openai_families_file);
  }
  options.families = merge_openai_families(std::move(extra), builtin_openai_families());
  if (!config.openai_models.empty()) {
    options.named = parse_openai_models(config.openai_models, options.families, utc_today());
  }
  options.timeout = std::chrono::seconds(config.openai_timeout_seconds);
  return std::make_shared<OpenAiProvider>(options);
}

std::unique_ptr<ModelCatalog> build_catalog(const Config& config, Metrics* metrics) {
  auto catalog = std::make_unique<ModelCatalog>();
  catalog->add(std::make_shared<ProceduralProvider>());
  add_local_provider(*catalog, config, metrics);
  if (auto client = bedrock_client(config)) {
    auto bedrock = std::make_shared<BedrockProvider>(client, split_list(config.bedrock_models));
    bedrock->start();
    catalog->add(bedrock);
  }
  if (auto openai = openai_provider(config)) {
    openai->start();
    catalog->add(openai);
  }
  // A default that no provider offers is a mistake, unless it may be a cloud model that a failed
  // listing left out for now: the next refresh may offer it.
  const bool cloud = !config.bedrock_region.empty() || !config.openai_base_url.empty();
  if (!catalog->find(config.default_model)) {
    if (!cloud) catalog->model(config.default_model);  // throws, naming it
    spdlog::warn(
        "the default model {} is not offered now; requests that name no model fail "
        "until a provider offers it",
        config.default_model);
  }
  return catalog;
}

Platform::Platform(const Config& config_in) : config(config_in) {
  store = open_store(config.database_url);
  store->migrate();
  blobs = open_blob_store(config.storage_url);
  catalog = build_catalog(config, &metrics);
  if (has_local_engine()) {
    const auto refresh = [this] { catalog->refresh(); };
    model_library = std::make_unique<library::PullManager>(
        library::ModelInstaller(library::ModelsFolder(config.models_dir),
                                library::HubSettings::from_environment(), local_model_checker()),
        refresh);
    models_watch = std::make_unique<library::FolderWatch>(
        config.models_dir, library::FolderWatch::kDefaultInterval, refresh);
  }
  if (!config.bedrock_region.empty() || !config.openai_base_url.empty()) {
    cloud_refresh = std::make_unique<PeriodicTask>(
        std::chrono::seconds(config.cloud_refresh_seconds), [this] { catalog->refresh(); });
  }
  events = open_job_events(config.database_url);
  account_changes = watch_account_changes(
      config.database_url,
      {.changed = [this](const std::string& user_id) { sessions.forget_user(user_id); },
       .listening = [this] { sessions.set_on(true); },
       .lost = [this] { sessions.set_on(false); }});
  accounts = std::make_unique<AccountService>(
      *store, sessions,
      AccountOptions{.registration = registration_of(config),
                     .session_ttl = std::chrono::hours(config.session_ttl_hours),
                     .login_throttle = {.free_failures = config.login_failures_allowed},
                     .signup_throttle = {.free_failures = config.signups_allowed}});
  preferences = std::make_unique<PreferenceService>(*store, *catalog);
  quotas = std::make_unique<QuotaService>(
      *store, Limits{config.max_jobs_in_flight, config.max_images_per_day, config.max_stored_bytes,
                     config.requests_per_minute, config.request_burst});
  users = std::make_unique<UserAdminService>(*store, *quotas, sessions);
  generations = std::make_unique<GenerationService>(*store, *catalog, *preferences, *quotas,
                                                    *events, config.default_model);
  images = std::make_unique<ImageService>(*store, *blobs);
  uploads = std::make_unique<UploadService>(
      *blobs, *quotas, UploadLimits{config.max_upload_bytes, config.max_upload_pixels});
  readiness = std::make_unique<Readiness>(*store, *blobs);
  passwords = std::make_unique<PasswordPool>(PasswordPoolOptions{
      config.password_threads, static_cast<std::size_t>(config.password_queue)});
  api_context.reset(new api::ApiContext{
      *accounts, *preferences, *generations, *images, *uploads, *quotas, *users, *catalog,
      *readiness, metrics, *passwords, config.secure_cookies, config.downloads == "redirect",
      std::chrono::seconds(config.presign_seconds), model_library.get()});
  api_context->trusted_proxies =
      http::TrustedProxies::parse(config.trusted_proxies, "RENDERMART_TRUSTED_PROXIES");
  api_context->public_url =
      http::PublicUrl(config.public_url, api_context->trusted_proxies, "RENDERMART_PUBLIC_URL");

  metrics.describe("rendermart_queue_depth", "gauge", "Jobs waiting in the queue");
  metrics.add_collector([this](Metrics& m) {
    try {
      m.set("rendermart_queue_depth", {}, store->queue_depth());
    } catch (const std::exception& e) {
      spdlog::warn("cannot read the queue depth: {}", e.what());
    }
  });
}

http::Router Platform::api_router() {
  http::Router router;
  api::add_api_routes(router, *api_context);
  if (const auto web = find_web_dir(config)) {
    spdlog::info("serving the web app from {}", web->string());
    router.set_fallback(http::static_files(*web));
  }
  return router;
}

http::Router Platform::worker_router() {
  http::Router router;
  api::add_health_routes(router, *api_context);
  return router;
}

std::unique_ptr<WorkerPool> Platform::make_workers() {
  WorkerOptions options;
  options.threads = config.workers;
  options.policy.lease_ms = config.lease_seconds * 1000LL;
  options.policy.max_attempts = config.max_attempts;
  options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  return std::make_unique<WorkerPool>(*store, *blobs, *catalog, *events, metrics, options);
}

}  // namespace rendermart
