#pragma once

// The domain types every layer shares. Plain data: no I/O, no JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rendermart {

// Milliseconds since the Unix epoch, UTC. Every stored time uses it.
using Millis = std::int64_t;

// Pixels as providers make them and imaging encodes them.
struct RawImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3 bytes, row-major, top row first
};

struct User {
  std::string id;
  std::string email;          // lower-cased, trimmed
  std::string password_hash;  // Argon2id, in libsodium's encoded form
  bool is_admin = false;
  Millis created_at = 0;
};

struct ApiKey {
  std::string id;
  std::string user_id;
  std::string name;
  std::string prefix;       // the first characters of the secret, shown in lists
  std::string secret_hash;  // SHA-256 of the whole secret, hex
  Millis created_at = 0;
  std::optional<Millis> last_used_at;
};

struct Preferences {
  std::string model;            // empty: the platform default
  std::string style;            // empty: none
  int width = 0;                // 0: the model's default
  int height = 0;
  std::string negative_prompt;
  std::string theme = "system"; // light | dark | system (used by the web app)
};

// What a user asks for. Filled from the request, then from preferences, then from the model's
// defaults, then validated against the model's capabilities before it is queued.
struct GenerationParams {
  std::string prompt;
  std::string negative_prompt;
  std::string model;
  std::string style;
  int width = 0;
  int height = 0;
  int steps = 0;
  double cfg_scale = 0;
  std::uint32_t seed = 0;  // always set before queueing: random when the request has none
  int count = 1;
};

enum class JobStatus { queued, running, succeeded, failed, canceled };

const char* to_string(JobStatus status);
std::optional<JobStatus> job_status_from_string(const std::string& text);
bool is_final(JobStatus status);

struct Image {
  std::string id;
  std::string user_id;
  std::string job_id;
  int index = 0;          // position within its generation
  GenerationParams params;  // params.seed is this image's own seed; count is 1
  std::string title;
  std::vector<std::string> tags;
  bool favorite = false;
  std::string blob_key;   // the original PNG; thumbnails live at blob_key + ".thumb<size>.webp"
  std::int64_t bytes = 0;
  std::string sha256;     // of the original, hex: the ETag
  Millis created_at = 0;
};

struct Job {
  std::string id;
  std::string user_id;
  GenerationParams params;
  JobStatus status = JobStatus::queued;
  double progress = 0;    // 0..1
  int attempts = 0;       // claims so far
  std::string error_code;
  std::string error_message;
  bool cancel_requested = false;
  std::string lease_owner;
  Millis lease_expires_at = 0;
  Millis created_at = 0;
  std::optional<Millis> started_at;
  std::optional<Millis> finished_at;
  std::vector<Image> images;  // filled when succeeded
};

}  // namespace rendermart
