#include "app/wiring.hpp"

#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "api/routes.hpp"
#include "core/error.hpp"
#include "http/static_files.hpp"
#include "providers/procedural/procedural_provider.hpp"
#if RENDERMART_WITH_DIFFUSION
#include "diffusion/runtime.hpp"
#include "providers/local/local_provider.hpp"
#endif

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
  for (const auto& candidate : {std::filesystem::path("web/dist"),
                                executable_dir() / "../web/dist",
                                executable_dir() / "../share/rendermart/web"}) {
    if (std::filesystem::exists(candidate / "index.html")) return candidate;
  }
  return std::nullopt;
}

// The local diffusion engine's models, when a models folder is configured.
void add_local_provider(ModelCatalog& catalog, const Config& config, Metrics* metrics) {
  if (config.models_dir.empty()) return;
#if RENDERMART_WITH_DIFFUSION
  auto provider = std::make_shared<LocalProvider>(LocalProviderOptions{
      config.models_dir, config.diffusion_dtype, config.diffusion_threads, config.diffusion_decoder});
  catalog.add(provider);
  if (!metrics) return;
  metrics->describe("rendermart_diffusion_memory_bytes", "gauge",
                    "Memory of the local diffusion engine: process resident set (and its peak), "
                    "large tensor blocks in use (activations and converted weights; and their "
                    "peak) and kept for reuse");
  metrics->describe("rendermart_diffusion_model_weight_bytes", "gauge",
                    "Weights in memory of each loaded local model");
  metrics->add_collector([provider](Metrics& m) {
    const auto usage = diffusion::memory_usage();
    const auto set = [&](const char* kind, std::size_t bytes) {
      m.set("rendermart_diffusion_memory_bytes", {{"kind", kind}}, static_cast<double>(bytes));
    };
    set("resident", usage.resident_bytes);
    set("peak_resident", usage.peak_resident_bytes);
    set("tensors", usage.tensor_bytes);
    set("peak_tensors", usage.peak_tensor_bytes);
    set("cached", usage.cached_bytes);
    for (const auto& model : provider->loaded_models()) {
      m.set("rendermart_diffusion_model_weight_bytes", {{"model", model.id}},
            static_cast<double>(model.weight_bytes));
    }
  });
#else
  (void)metrics;
  spdlog::warn("RENDERMART_MODELS_DIR is set, but this build has no local diffusion engine "
               "(libtorch-dev was not found when it was built): no local models are offered");
#endif
}

}  // namespace

std::unique_ptr<ModelCatalog> build_catalog(const Config& config, Metrics* metrics) {
  auto catalog = std::make_unique<ModelCatalog>();
  catalog->add(std::make_shared<ProceduralProvider>());
  add_local_provider(*catalog, config, metrics);
  catalog->model(config.default_model);  // throws for a default that no provider offers
  return catalog;
}

Platform::Platform(const Config& config_in) : config(config_in) {
  store = open_store(config.database_url);
  store->migrate();
  blobs = open_blob_store(config.storage_url);
  catalog = build_catalog(config, &metrics);
  events = open_job_events(config.database_url);
  accounts = std::make_unique<AccountService>(
      *store, AccountOptions{config.registration == "open",
                             std::chrono::hours(config.session_ttl_hours)});
  preferences = std::make_unique<PreferenceService>(*store, *catalog);
  generations = std::make_unique<GenerationService>(*store, *catalog, *preferences, *events,
                                                    config.default_model);
  images = std::make_unique<ImageService>(*store, *blobs);
  api_context.reset(new api::ApiContext{*accounts, *preferences, *generations, *images, *catalog,
                                        *store, *blobs, metrics, config.secure_cookies,
                                        config.downloads == "redirect",
                                        std::chrono::seconds(config.presign_seconds)});

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
