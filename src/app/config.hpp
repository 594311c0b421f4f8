#pragma once

// Every setting of every role: an environment variable (RENDERMART_*) with a flag that
// overrides it. Parsed once, validated at start-up, printed with secrets redacted.

#include <cstddef>
#include <string>

namespace CLI {
class App;
}

namespace rendermart {

struct Config {
  std::string bind = "127.0.0.1";
  int port = 3300;
  std::string data_dir = "./data";
  std::string database_url;   // default: sqlite://<data_dir>/rendermart.db
  std::string storage_url;    // default: file://<data_dir>/blobs
  std::string web_dir;        // default: the first of ./web/dist, <binary>/../share/rendermart/web
  int http_threads = 0;       // 0: one per CPU core
  int workers = 2;
  std::string registration = "open";
  int session_ttl_hours = 24 * 7;
  std::size_t max_body_bytes = 1024 * 1024;
  int lease_seconds = 30;
  int max_attempts = 3;
  int shutdown_grace_seconds = 10;
  std::string default_model = "procedural";
  bool secure_cookies = false;
  std::string downloads = "proxy";  // proxy: the API sends image bytes; redirect: to a presigned URL
  int presign_seconds = 300;
  std::string log_level = "info";
  std::string log_format = "json";

  // The local diffusion engine (src/diffusion).
  std::string models_dir;               // empty: no local models
  std::string diffusion_dtype = "auto"; // auto | float32 | bfloat16
  int diffusion_threads = 0;            // 0: one per CPU core
  std::string diffusion_decoder = "vae";  // vae | taesd
};

enum class ConfigGroup { server, workers, storage, logging, models };

// Adds the flags (with their environment variables) of the given groups to a command.
void add_config_options(CLI::App& command, Config& config, std::initializer_list<ConfigGroup> groups);

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
