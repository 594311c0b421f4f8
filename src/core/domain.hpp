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
  // Empty: opaque. Otherwise width * height bytes of straight (not premultiplied) alpha, 255
  // opaque: what background removal makes.
  std::vector<std::uint8_t> alpha;
};

// Limits an administrator set for one user; each one left out is the server's default.
struct UserLimits {
  std::optional<int> jobs_in_flight;         // generations queued or running at once
  std::optional<int> images_per_day;         // images asked for per UTC day
  std::optional<std::int64_t> stored_bytes;  // originals and thumbnails
  std::optional<int> requests_per_minute;    // API requests, refilled evenly
  std::optional<int> request_burst;          // requests allowed at once above the rate
};

struct User {
  std::string id;
  std::string email;          // lower-cased, trimmed
  std::string password_hash;  // Argon2id, in libsodium's encoded form
  bool is_admin = false;
  Millis created_at = 0;
  bool disabled = false;  // by an administrator: its sessions and keys stop working
  UserLimits limits;
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

// A single-use invitation to register while registration is "invite". Only the SHA-256 of its
// code is stored; the code is shown once, to the administrator who creates it.
struct Invitation {
  std::string id;
  std::string code_hash;   // SHA-256 of the code, hex
  std::string created_by;  // the administrator's user id
  Millis created_at = 0;
  Millis expires_at = 0;
  std::optional<Millis> used_at;
  std::string used_by;  // the user who registered with it; empty while unused
};

struct Preferences {
  std::string model;  // empty: the platform default
  std::string style;  // empty: none
  int width = 0;      // 0: the model's default
  int height = 0;
  std::string negative_prompt;
  std::string theme = "system";  // light | dark | system (used by the web app)
};

// What a generation does. Every task but text_to_image works on a source image (one of the
// user's own images) and keeps its size, except upscale, which doubles it.
enum class GenerationTask {
  text_to_image,      // a new image from the prompt
  image_to_image,     // a new image from the source image and the prompt; `strength` says how
                      // far it may depart from the source (variations)
  inpaint,            // repaints the masked part of the source image after the prompt
  outpaint,           // repaints the unmasked part (extends or replaces what surrounds the mask)
  remove_background,  // the source image with its background made transparent; no prompt
  upscale,            // the source image at twice its width and height; no prompt (a model
                      // that re-imagines details while upscaling, whose creativity is declared,
                      // needs one; cloud upscalers make the size their service makes)
  // Tasks of Stability AI's image services (Amazon Bedrock); each keeps its source's size.
  erase,           // removes what the mask covers, filling it from its surroundings; no prompt
  search_replace,  // replaces what search_prompt describes with what the prompt describes
  search_recolor,  // recolors what search_prompt describes as the prompt says
  sketch,          // a picture after the prompt, drawn on the lines of the source sketch
  structure,       // a picture after the prompt that keeps the source's structure
  style_guide,     // a new picture after the prompt in the style of the source
  style_transfer,  // the source redrawn in the style of style_image_id; the prompt is optional
  // Not a generation: the job that files a picture the user uploaded. Images reference the job
  // that made them (job_id NOT NULL, one image per index of a job), so an upload is recorded as
  // a job that succeeded when it was filed, holding that one image: the gallery, its search,
  // deletion and the stored-bytes count treat uploads exactly as other images, and an uploaded
  // image says where it came from by its task. Never requested, never queued.
  upload,
};

const char* to_string(GenerationTask task);
std::optional<GenerationTask> generation_task_from_string(const std::string& text);
bool task_uses_source(GenerationTask task);
bool task_uses_mask(GenerationTask task);
bool task_uses_prompt(GenerationTask task);
// Whether a generation request may name the task (upload may not).
bool task_is_requestable(GenerationTask task);
// How many times wider and higher than its source a task's image is (1 but for upscale).
int task_scale(GenerationTask task);

// A LoRA a generation applies: a file of a local model family's loras/ folder, by name, merged
// with a weight (AUTOMATIC1111's <lora:name:weight>).
struct LoraUse {
  std::string name;
  double weight = 1;
  std::string hash;  // AUTOMATIC1111's short hash of the file (its "Lora hashes"), set on queueing
  bool operator==(const LoraUse&) const = default;
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
  std::string quality;  // one of the model's qualities; empty: the model has none
  // OpenAI's GPT image models: the background asked for (auto, opaque or transparent) and how
  // strictly the service moderates (auto or low); empty for models without them.
  std::string background;
  std::string moderation;
  // search_replace: what to replace; search_recolor: what to recolor. Empty for other tasks.
  std::string search_prompt;
  // style_transfer: the user's image whose style is applied to the source; empty otherwise.
  std::string style_image_id;
  // Settings of the models that declare them (ModelInfo), 0..1, the model's default when the
  // request has none, 0 where the task or model takes none: creativity (upscale, outpaint): how
  // much may be invented; control_strength (sketch, structure, style_guide, style_transfer): how
  // much the guiding image shapes the result.
  double creativity = 0;
  double control_strength = 0;
  // Stability AI's image services that take them (ModelInfo declares which): the style preset
  // (empty: none); how many pixels the mask grows by, its grown edge blurred (inpaint, erase,
  // search_replace, search_recolor); style_transfer's composition_fidelity (how closely the
  // result keeps the source's composition) and change_strength (how much the source may change).
  // 0 where the task or model takes none.
  std::string style_preset;
  int grow_mask = 0;
  double composition_fidelity = 0;
  double change_strength = 0;
  GenerationTask task = GenerationTask::text_to_image;
  std::string source_image_id;  // the user's image a task works on; empty for text_to_image
  // The user's image that masks the source (same size; white = repaint, black = keep); inpaint
  // and outpaint only.
  std::string mask_image_id;
  // How much the result may depart from the source, 0 (not at all) .. 1 (entirely):
  // image_to_image, and inpaint and outpaint in the area they repaint; 0 for other tasks.
  double strength = 0;
  // How many pixels the mask's edge is blurred by where the result is laid over the source
  // (AUTOMATIC1111's "Mask blur"), 0..64: inpaint and outpaint with the models that lay their
  // result over the source (ModelInfo::mask_blur), 0 otherwise.
  int mask_blur = 0;
  // Local models: the LoRAs merged for this generation, those of the request's `loras` field and
  // of <lora:name:weight> in its prompt (which keeps them as written).
  std::vector<LoraUse> loras;
};

enum class JobStatus { queued, running, succeeded, failed, canceled };

const char* to_string(JobStatus status);
std::optional<JobStatus> job_status_from_string(const std::string& text);
bool is_final(JobStatus status);

struct Image {
  std::string id;
  std::string user_id;
  std::string job_id;
  int index = 0;            // position within its generation
  GenerationParams params;  // params.seed is this image's own seed; count is 1
  std::string title;
  std::vector<std::string> tags;
  bool favorite = false;
  std::string blob_key;  // the original PNG; thumbnails live at blob_key + ".thumb<size>.webp"
  std::int64_t bytes = 0;
  std::int64_t thumbnail_bytes = 0;  // all its thumbnails together (counted in stored bytes)
  std::string sha256;                // of the original, hex: the ETag
  Millis created_at = 0;
};

struct Job {
  std::string id;
  std::string user_id;
  GenerationParams params;
  JobStatus status = JobStatus::queued;
  double progress = 0;  // 0..1
  int attempts = 0;     // claims so far
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
