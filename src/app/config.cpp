#include "app/config.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <regex>
#include <vector>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "http/public_url.hpp"
#include "http/trusted_proxies.hpp"

extern char** environ;

namespace rendermart {
namespace {

struct Setting {
  const char* env;
  const char* flag;
  ConfigGroup group;
  const char* help;
  std::function<CLI::Option*(CLI::App&, Config&, const std::string&)> bind;
};

template <typename T>
auto field(T Config::*member) {
  return [member](CLI::App& app, Config& config, const std::string& flag) {
    return app.add_option(flag, config.*member);
  };
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"RENDERMART_BIND", "--bind", ConfigGroup::server,
       "Address to listen on (0.0.0.0 for all interfaces)", field(&Config::bind)},
      {"RENDERMART_PORT", "--port", ConfigGroup::server, "TCP port of the HTTP server",
       field(&Config::port)},
      {"RENDERMART_HTTP_THREADS", "--http-threads", ConfigGroup::server,
       "HTTP threads (0: four per CPU core)", field(&Config::http_threads)},
      {"RENDERMART_MAX_BODY_BYTES", "--max-body-bytes", ConfigGroup::server,
       "Largest request body accepted (413 above)", field(&Config::max_body_bytes)},
      {"RENDERMART_MAX_UPLOAD_BYTES", "--max-upload-bytes", ConfigGroup::server,
       "Largest picture a user may upload (413 above); the upload routes accept bodies this large",
       field(&Config::max_upload_bytes)},
      {"RENDERMART_MAX_UPLOAD_PIXELS", "--max-upload-pixels", ConfigGroup::server,
       "Most pixels (width x height) of an uploaded picture, read from its header before it is "
       "decoded (413 above)",
       field(&Config::max_upload_pixels)},
      {"RENDERMART_WEB_DIR", "--web-dir", ConfigGroup::server,
       "Built web app to serve at / (default: ./web/dist if present)", field(&Config::web_dir)},
      {"RENDERMART_REGISTRATION", "--registration", ConfigGroup::server,
       "open: anyone may sign up; closed: only `rendermart user create`; invite: with an "
       "invitation code from an administrator",
       field(&Config::registration)},
      {"RENDERMART_PASSWORD_THREADS", "--password-threads", ConfigGroup::server,
       "Threads that hash and check passwords, off the HTTP threads; each uses 64 MiB while it "
       "works (0: half the CPU cores, at least one)",
       field(&Config::password_threads)},
      {"RENDERMART_PASSWORD_QUEUE", "--password-queue", ConfigGroup::server,
       "Sign-ins and sign-ups that may wait for a password thread; more are answered 503 at once",
       field(&Config::password_queue)},
      {"RENDERMART_LOGIN_FAILURES_ALLOWED", "--login-failures-allowed", ConfigGroup::server,
       "Wrong passwords per account and per client address that cost nothing; each further one "
       "makes the next try wait 1 s, 2 s, 4 s ... up to 10 min (429); a success starts afresh",
       field(&Config::login_failures_allowed)},
      {"RENDERMART_SIGNUPS_ALLOWED", "--signups-allowed", ConfigGroup::server,
       "Sign-ups per client address that cost nothing; each further one makes the next wait 1 s, "
       "2 s, 4 s ... up to 10 min (429); forgotten after an hour without sign-ups",
       field(&Config::signups_allowed)},
      {"RENDERMART_SESSION_TTL_HOURS", "--session-ttl-hours", ConfigGroup::server,
       "How long a sign-in lasts", field(&Config::session_ttl_hours)},
      {"RENDERMART_SECURE_COOKIES", "--secure-cookies", ConfigGroup::server,
       "Mark session cookies Secure (serve over HTTPS); also sends Strict-Transport-Security",
       field(&Config::secure_cookies)},
      {"RENDERMART_PUBLIC_URL", "--public-url", ConfigGroup::server,
       "The URL users reach this service at (e.g. https://images.example.com): the only origin "
       "whose pages may act with the session cookie, and the base of absolute URLs (OpenAI "
       "`url` responses); empty: the Host of each request, and URLs from a trusted proxy's "
       "headers or this listener's own address",
       field(&Config::public_url)},
      {"RENDERMART_TRUSTED_PROXIES", "--trusted-proxies", ConfigGroup::server,
       "Reverse proxies (addresses and networks, e.g. 10.0.0.0/8, 127.0.0.1) whose "
       "X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host are believed; empty: none",
       field(&Config::trusted_proxies)},
      {"RENDERMART_DOWNLOADS", "--downloads", ConfigGroup::server,
       "Image downloads: proxy (through the API) or redirect (to a presigned storage URL, when "
       "the storage has them)",
       field(&Config::downloads)},
      {"RENDERMART_PRESIGN_SECONDS", "--presign-seconds", ConfigGroup::server,
       "How long a presigned download URL stays valid", field(&Config::presign_seconds)},
      {"RENDERMART_DEFAULT_MODEL", "--default-model", ConfigGroup::server,
       "Model used when neither the request nor the user's preferences name one",
       field(&Config::default_model)},
      {"RENDERMART_MAX_JOBS_IN_FLIGHT", "--max-jobs-in-flight", ConfigGroup::server,
       "Generations a user may have queued or running at once (429 above)",
       field(&Config::max_jobs_in_flight)},
      {"RENDERMART_MAX_IMAGES_PER_DAY", "--max-images-per-day", ConfigGroup::server,
       "Images a user may ask for per UTC day, failed and canceled ones not counted",
       field(&Config::max_images_per_day)},
      {"RENDERMART_MAX_STORED_BYTES", "--max-stored-bytes", ConfigGroup::server,
       "Bytes of images and thumbnails a user may keep; no new generation above",
       field(&Config::max_stored_bytes)},
      {"RENDERMART_REQUESTS_PER_MINUTE", "--requests-per-minute", ConfigGroup::server,
       "API requests a user may make per minute, all API processes together",
       field(&Config::requests_per_minute)},
      {"RENDERMART_REQUEST_BURST", "--request-burst", ConfigGroup::server,
       "API requests a user may make at once, above the rate", field(&Config::request_burst)},
      {"RENDERMART_WORKERS", "--workers", ConfigGroup::workers,
       "Generation worker threads in this process", field(&Config::workers)},
      {"RENDERMART_LEASE_SECONDS", "--lease-seconds", ConfigGroup::workers,
       "A claimed job returns to the queue if its worker is silent this long",
       field(&Config::lease_seconds)},
      {"RENDERMART_MAX_ATTEMPTS", "--max-attempts", ConfigGroup::workers,
       "Attempts before a job fails with its last error", field(&Config::max_attempts)},
      {"RENDERMART_SHUTDOWN_GRACE_SECONDS", "--shutdown-grace-seconds", ConfigGroup::workers,
       "On SIGTERM, jobs in flight get this long to finish before they are released",
       field(&Config::shutdown_grace_seconds)},
      {"RENDERMART_DATA_DIR", "--data-dir", ConfigGroup::storage,
       "Directory for the default SQLite database and image files", field(&Config::data_dir)},
      {"RENDERMART_DATABASE_URL", "--database-url", ConfigGroup::storage,
       "Database (default sqlite://<data-dir>/rendermart.db)", field(&Config::database_url)},
      {"RENDERMART_STORAGE_URL", "--storage-url", ConfigGroup::storage,
       "Image storage (default file://<data-dir>/blobs)", field(&Config::storage_url)},
      {"RENDERMART_BEDROCK_REGION", "--bedrock-region", ConfigGroup::providers,
       "AWS region of Amazon Bedrock (e.g. us-east-1); empty: no Bedrock models",
       field(&Config::bedrock_region)},
      {"RENDERMART_BEDROCK_MODELS", "--bedrock-models", ConfigGroup::providers,
       "Bedrock model ids to offer, comma-separated, each while the region lists it and before "
       "its end of life; Legacy ones only when named here (default: stability.sd3-5-large-v1:0, "
       "stability.stable-image-core-v1:1, stability.stable-image-ultra-v1:1)",
       field(&Config::bedrock_models)},
      {"RENDERMART_BEDROCK_ENDPOINT", "--bedrock-endpoint", ConfigGroup::providers,
       "Bedrock runtime URL (default https://bedrock-runtime.{region}.amazonaws.com; tests: a "
       "local server)",
       field(&Config::bedrock_endpoint)},
      {"RENDERMART_BEDROCK_CONTROL_ENDPOINT", "--bedrock-control-endpoint", ConfigGroup::providers,
       "Bedrock control-plane URL, where the region's models are listed (default "
       "https://bedrock.{region}.amazonaws.com)",
       field(&Config::bedrock_control_endpoint)},
      {"RENDERMART_BEDROCK_TIMEOUT_SECONDS", "--bedrock-timeout-seconds", ConfigGroup::providers,
       "How long one Bedrock invocation may take", field(&Config::bedrock_timeout_seconds)},
      {"RENDERMART_OPENAI_BASE_URL", "--openai-base-url", ConfigGroup::providers,
       "OpenAI-compatible image API (its /v1/images/generations); default https://api.openai.com "
       "when a key is set; empty without a key: no such models",
       field(&Config::openai_base_url)},
      {"RENDERMART_OPENAI_API_KEY", "--openai-api-key", ConfigGroup::providers,
       "API key for that API (a secret: prefer the variable to the flag)",
       field(&Config::openai_api_key)},
      {"RENDERMART_OPENAI_MODELS", "--openai-models", ConfigGroup::providers,
       "Offer exactly these of its models, comma-separated: a model of a known family (e.g. "
       "gpt-image-2), or name=WxH WxH.../MAX_IMAGES (sizes separated by spaces) for others; each "
       "while the API lists it, one with a shutdown date only when named here; empty: every "
       "listed model of a known family without a shutdown date; offered as openai/<name>",
       field(&Config::openai_models)},
      {"RENDERMART_OPENAI_FAMILIES_FILE", "--openai-families-file", ConfigGroup::providers,
       "JSON file of image model families (which model ids, their sizes, counts, qualities) that "
       "adds to or replaces by name the built-in ones (docs/cloud-models.md)",
       field(&Config::openai_families_file)},
      {"RENDERMART_OPENAI_TIMEOUT_SECONDS", "--openai-timeout-seconds", ConfigGroup::providers,
       "How long one request to that API may take", field(&Config::openai_timeout_seconds)},
      {"RENDERMART_CLOUD_REFRESH_SECONDS", "--cloud-refresh-seconds", ConfigGroup::providers,
       "How often the cloud providers list their service's models again: new models appear, "
       "retired ones go",
       field(&Config::cloud_refresh_seconds)},
      {"RENDERMART_LOG_LEVEL", "--log-level", ConfigGroup::logging,
       "trace, debug, info, warn, error", field(&Config::log_level)},
      {"RENDERMART_LOG_FORMAT", "--log-format", ConfigGroup::logging,
       "json (one object per line) or text", field(&Config::log_format)},
      {"RENDERMART_MODELS_DIR", "--models-dir", ConfigGroup::providers,
       "Folder of Stable Diffusion models (diffusers folders and .safetensors checkpoints) offered "
       "as `local` models, where `rendermart models` installs them (default <data-dir>/models; "
       "needs a build with libtorch)",
       field(&Config::models_dir)},
      {"RENDERMART_DIFFUSION_DTYPE", "--diffusion-dtype", ConfigGroup::providers,
       "Compute type of local models: auto (bfloat16 on CPUs with AVX-512 BF16, else float32), "
       "float32 or bfloat16 (refused at start on CPUs without AVX-512 BF16)",
       field(&Config::diffusion_dtype)},
      {"RENDERMART_DIFFUSION_THREADS", "--diffusion-threads", ConfigGroup::providers,
       "Threads of the local engine (0: one per CPU core)", field(&Config::diffusion_threads)},
      {"RENDERMART_DIFFUSION_DECODER", "--diffusion-decoder", ConfigGroup::providers,
       "Latent decoder of local models: vae, or taesd (fast, lower quality; when a model has TAESD "
       "weights)",
       field(&Config::diffusion_decoder)},
      {"RENDERMART_DIFFUSION_MEMORY_BUDGET", "--diffusion-memory-budget", ConfigGroup::providers,
       "Memory for the weights of loaded local models together: a share of the memory the "
       "process may use (its container's limit, else the RAM), e.g. 60%, or a size such as 12G. "
       "Models load on first use; the least recently used are unloaded to make room",
       field(&Config::diffusion_memory_budget)},
      {"RENDERMART_CPU_ISA", "--cpu-isa", ConfigGroup::providers,
       "Instruction set of the local engine: auto (the best this CPU has), or a cap: avx512_bf16, "
       "avx512, avx2 or portable (to run the code paths of weaker CPUs)",
       field(&Config::cpu_isa)},
  };
  return table;
}

std::string default_of(const Setting& setting) {
  Config defaults;
  CLI::App scratch;
  auto* option = setting.bind(scratch, defaults, setting.flag);
  option->capture_default_str();
  return option->get_default_str();
}

std::string redact_url(const std::string& url) {
  static const std::regex credentials(R"(://([^:/@]+):([^@]+)@)");
  return std::regex_replace(url, credentials, "://$1:***@");
}

}  // namespace

void add_config_options(CLI::App& command, Config& config,
                        std::initializer_list<ConfigGroup> groups) {
  for (const auto& setting : settings()) {
    if (std::find(groups.begin(), groups.end(), setting.group) == groups.end()) continue;
    setting.bind(command, config, setting.flag)
        ->description(setting.help)
        ->envname(setting.env)
        ->capture_default_str();
  }
}

void finish_config(Config& config) {
  if (config.port < 0 || config.port > 65535) {
    throw invalid_argument("port", "RENDERMART_PORT must be between 0 and 65535");
  }
  if (config.registration != "open" && config.registration != "closed" &&
      config.registration != "invite") {
    throw invalid_argument("registration",
                           "RENDERMART_REGISTRATION must be open, closed or invite");
  }
  if (config.password_threads < 0 || config.password_threads > 256) {
    throw invalid_argument("password_threads",
                           "RENDERMART_PASSWORD_THREADS must be between 0 and 256");
  }
  if (config.password_queue < 0) {
    throw invalid_argument("password_queue", "RENDERMART_PASSWORD_QUEUE must be at least 0");
  }
  if (config.login_failures_allowed < 0 || config.signups_allowed < 0) {
    throw invalid_argument("login_failures_allowed",
                           "RENDERMART_LOGIN_FAILURES_ALLOWED and "
                           "RENDERMART_SIGNUPS_ALLOWED must be at least 0");
  }
  if (config.workers < 0 || config.workers > 256) {
    throw invalid_argument("workers", "RENDERMART_WORKERS must be between 0 and 256");
  }
  if (config.http_threads < 0 || config.http_threads > 256) {
    throw invalid_argument("http_threads", "RENDERMART_HTTP_THREADS must be between 0 and 256");
  }
  if (config.lease_seconds < 1) {
    throw invalid_argument("lease_seconds", "RENDERMART_LEASE_SECONDS must be at least 1");
  }
  if (config.max_attempts < 1) {
    throw invalid_argument("max_attempts", "RENDERMART_MAX_ATTEMPTS must be at least 1");
  }
  if (config.session_ttl_hours < 1) {
    throw invalid_argument("session_ttl_hours", "RENDERMART_SESSION_TTL_HOURS must be at least 1");
  }
  if (config.max_body_bytes < 1024) {
    throw invalid_argument("max_body_bytes", "RENDERMART_MAX_BODY_BYTES must be at least 1024");
  }
  if (config.max_upload_bytes < 1024) {
    throw invalid_argument("max_upload_bytes", "RENDERMART_MAX_UPLOAD_BYTES must be at least 1024");
  }
  if (config.max_upload_pixels < 1) {
    throw invalid_argument("max_upload_pixels", "RENDERMART_MAX_UPLOAD_PIXELS must be at least 1");
  }
  if (config.downloads != "proxy" && config.downloads != "redirect") {
    throw invalid_argument("downloads", "RENDERMART_DOWNLOADS must be proxy or redirect");
  }
  if (config.presign_seconds < 1 || config.presign_seconds > 604800) {
    throw invalid_argument("presign_seconds",
                           "RENDERMART_PRESIGN_SECONDS must be between 1 and 604800 (7 days)");
  }
  if (config.max_jobs_in_flight < 1 || config.max_images_per_day < 1 ||
      config.max_stored_bytes < 1 || config.requests_per_minute < 1 || config.request_burst < 1) {
    throw invalid_argument("limits",
                           "RENDERMART_MAX_JOBS_IN_FLIGHT, RENDERMART_MAX_IMAGES_PER_DAY, "
                           "RENDERMART_MAX_STORED_BYTES, RENDERMART_REQUESTS_PER_MINUTE and "
                           "RENDERMART_REQUEST_BURST must each be at least 1");
  }
  // Each throws invalid_argument naming the setting.
  http::PublicUrl(config.public_url,
                  http::TrustedProxies::parse(config.trusted_proxies, "RENDERMART_TRUSTED_PROXIES"),
                  "RENDERMART_PUBLIC_URL");
  if (config.log_format != "json" && config.log_format != "text") {
    throw invalid_argument("log_format", "RENDERMART_LOG_FORMAT must be json or text");
  }
  if (config.bedrock_timeout_seconds < 1 || config.openai_timeout_seconds < 1) {
    throw invalid_argument(
        config.bedrock_timeout_seconds < 1 ? "bedrock_timeout_seconds" : "openai_timeout_seconds",
        "provider timeouts must be at least 1 second");
  }
  if (config.bedrock_region.empty() &&
      (!config.bedrock_models.empty() || !config.bedrock_endpoint.empty())) {
    throw invalid_argument("bedrock_region",
                           "RENDERMART_BEDROCK_REGION must be set to use Bedrock models");
  }
  if (!config.openai_api_key.empty() && config.openai_base_url.empty()) {
    config.openai_base_url = "https://api.openai.com";
  }
  if (config.openai_base_url.empty() &&
      (!config.openai_models.empty() || !config.openai_families_file.empty())) {
    throw invalid_argument("openai_base_url",
                           "RENDERMART_OPENAI_MODELS or RENDERMART_OPENAI_FAMILIES_FILE is set "
                           "without RENDERMART_OPENAI_BASE_URL or RENDERMART_OPENAI_API_KEY");
  }
  if (config.cloud_refresh_seconds < 1) {
    throw invalid_argument("cloud_refresh_seconds",
                           "RENDERMART_CLOUD_REFRESH_SECONDS must be at least 1");
  }
  if (config.diffusion_dtype != "auto" && config.diffusion_dtype != "float32" &&
      config.diffusion_dtype != "bfloat16") {
    throw invalid_argument("diffusion_dtype",
                           "RENDERMART_DIFFUSION_DTYPE must be auto, float32 or bfloat16");
  }
  if (config.diffusion_threads < 0 || config.diffusion_threads > 1024) {
    throw invalid_argument("diffusion_threads", "RENDERMART_DIFFUSION_THREADS must be 0..1024");
  }
  if (!parse_memory_budget(config.diffusion_memory_budget)) {
    throw invalid_argument("diffusion_memory_budget",
                           "RENDERMART_DIFFUSION_MEMORY_BUDGET must be a share of memory (1% to "
                           "100%) or a size in bytes with an optional K, M, G or T suffix (12G)");
  }
  if (config.diffusion_decoder != "vae" && config.diffusion_decoder != "taesd") {
    throw invalid_argument("diffusion_decoder",
                           "RENDERMART_DIFFUSION_DECODER must be vae or taesd");
  }
  if (config.cpu_isa != "auto" && config.cpu_isa != "avx512_bf16" && config.cpu_isa != "avx512" &&
      config.cpu_isa != "avx2" && config.cpu_isa != "portable") {
    throw invalid_argument(
        "cpu_isa", "RENDERMART_CPU_ISA must be auto, avx512_bf16, avx512, avx2 or portable");
  }
  if (config.database_url.empty())
    config.database_url = "sqlite://" + config.data_dir + "/rendermart.db";
  if (config.storage_url.empty()) config.storage_url = "file://" + config.data_dir + "/blobs";
  if (config.models_dir.empty()) config.models_dir = config.data_dir + "/models";
}

void check_environment() {
  std::vector<std::string> unknown;
  for (char** entry = environ; *entry; ++entry) {
    const std::string variable(*entry);
    if (variable.rfind("RENDERMART_", 0) != 0) continue;
    const auto name = variable.substr(0, variable.find('='));
    const bool known = std::any_of(settings().begin(), settings().end(),
                                   [&](const Setting& s) { return name == s.env; });
    if (!known) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& name : unknown) list += (list.empty() ? "" : ", ") + name;
    throw invalid_argument("environment",
                           "unknown setting " + list + ": `rendermart config` lists the settings");
  }
}

std::string describe(const Config& config) {
  return "bind=" + config.bind + ":" + std::to_string(config.port) +
         " database=" + redact_url(config.database_url) +
         " storage=" + redact_url(config.storage_url) +
         " workers=" + std::to_string(config.workers) + " registration=" + config.registration +
         " default_model=" + config.default_model +
         (config.bedrock_region.empty() ? "" : " bedrock=" + config.bedrock_region) +
         (config.openai_base_url.empty() ? "" : " openai=" + redact_url(config.openai_base_url)) +
         " models_dir=" + config.models_dir;
}

std::string settings_table() {
  std::string out = "| Variable | Flag | Default | Meaning |\n|---|---|---|---|\n";
  for (const auto& setting : settings()) {
    auto value = default_of(setting);
    out += std::string("| `") + setting.env + "` | `" + setting.flag + "` | " +
           (value.empty() ? "" : "`" + value + "`") + " | " + setting.help + " |\n";
  }
  return out;
}

}  // namespace rendermart
