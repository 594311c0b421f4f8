#pragma once

// Every setting of every role: an environment variable (RENDERMART_*) with a flag that
// overrides it. Parsed once, validated at start-up, printed with secrets redacted.

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/limits.hpp"
#include "services/upload_limits.hpp"

namespace CLI {
class App;
}

namespace rendermart {

struct Config {
  std::string bind = "127.0.0.1";
  int port = 3300;
  std::string data_dir = "./data";
  std::string database_url;  // default: sqlite://<data_dir>/rendermart.db
  std::string storage_url;   // default: file://<data_dir>/blobs
  std::string web_dir;       // default: the first of ./web/dist, <binary>/../share/rendermart/web
  int http_threads = 0;      // 0: four per CPU core
  int workers = 2;
  std::string registration = "open";  // open | closed | invite
  int password_threads = 0;           // 0: half the CPU cores, at least one
  int password_queue = 32;
  int login_failures_allowed = 5;  // per account and per client address, before back-off
  int signups_allowed = 10;        // per client address, before back-off
  int session_ttl_hours = 24 * 7;
  std::size_t max_body_bytes = 1024 * 1024;
  std::int64_t max_upload_bytes = UploadLimits{}.max_bytes;    // POST /api/v1/images
  std::int64_t max_upload_pixels = UploadLimits{}.max_pixels;  // checked before decoding
  int lease_seconds = 30;
  int max_attempts = 3;
  int shutdown_grace_seconds = 10;
  std::string default_model = "procedural";
  bool secure_cookies = false;
  std::string public_url;       // empty: same-origin checks use Host; absolute URLs see below
  std::string trusted_proxies;  // addresses and networks whose X-Forwarded-* headers count
  std::string downloads =
      "proxy";  // proxy: the API sends image bytes; redirect: to a presigned URL
  int presign_seconds = 300;
  std::string log_level = "info";
  std::string log_format = "json";

  // Every user's limits unless an administrator sets their own (services/limits.hpp).
  int max_jobs_in_flight = Limits{}.jobs_in_flight;
  int max_images_per_day = Limits{}.images_per_day;
  std::int64_t max_stored_bytes = Limits{}.stored_bytes;
  int requests_per_minute = Limits{}.requests_per_minute;
  int request_burst = Limits{}.request_burst;

  // Cloud model providers, offered only when configured.
  std::string bedrock_region;            // empty: no Bedrock models
  std::string bedrock_models;            // comma-separated model ids; empty: the current models
  std::string bedrock_endpoint;          // empty: https://bedrock-runtime.{region}.amazonaws.com
  std::string bedrock_control_endpoint;  // empty: https://bedrock.{region}.amazonaws.com
  int bedrock_timeout_seconds = 120;
  std::string openai_base_url;       // empty (and no key): no OpenAI-compatible models
  std::string openai_api_key;        // a secret: never printed
  std::string openai_models;         // empty: every listed model of a known family
  std::string openai_families_file;  // JSON of image model families beyond the built-in ones
  int openai_timeout_seconds = 120;
  // How often the cloud providers list their service's models again (new models, shutdown dates).
  int cloud_refresh_seconds = 600;

  // The local diffusion engine (src/diffusion).
  std::string models_dir;                 // default: <data_dir>/models
  std::string diffusion_dtype = "auto";   // auto | float32 | bfloat16
  int diffusion_threads = 0;              // 0: one per CPU core
  std::string diffusion_decoder = "vae";  // vae | taesd
  // Weights of loaded local models together: a share of usable memory or a size (MemoryBudget).
  std::string diffusion_memory_budget = "60%";
  std::string cpu_isa = "auto";  // auto | avx512_bf16 | avx512 | avx2 | portable
};

enum class ConfigGroup { server, workers, storage, logging, providers };

// Adds the flags (with their environment variables) of the given groups to a command.
void add_config_options(CLI::App& command, Config& config,
                        std::initializer_list<ConfigGroup> groups);

// Fills derived defaults and validates; throws Error(invalid_argument) naming the setting.
void finish_config(Config& config);

// Throws when the environment has a RENDERMART_* variable that is no setting (a typo would
// otherwise be silently ignored).
void check_environment();

// One line per setting, secrets redacted, for the start-up log.
std::string describe(const Config& config);

// The table of settings for the README (`rendermart config`).
std::string settings_table();

}  // namespace rendermart
