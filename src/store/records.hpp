#pragma once

// Each record's columns, how a row maps to it, and the order of its insert parameters: defined
// once, for both backends. The backends keep their dialect's SQL and their connections.
//
// A Row is a backend's view of one result row, with 0-based columns: text(c), int64(c),
// integer(c), real(c), boolean(c), optional_int64(c) (sqlite::Query, pg::Row).
// A Binder takes an insert's parameters in column order: add(value) for strings, integers,
// floating point, bool and optionals (sqlite::Binder, pg::Binder).
//
// A new column of images or jobs: its field in core/domain.hpp, its name in the column list
// below with its line in the reader and the binder, and a migration per backend.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.hpp"

namespace rendermart::records {

inline const std::string kParamColumns =
    "prompt, negative_prompt, model, style, width, height, steps, cfg_scale, seed, count";
// Added by migration 2, so they come last in the job and image rows.
inline const std::string kTaskColumns = "quality, task, source_image_id, mask_image_id, strength";
inline const std::string kUserColumns =
    "id, email, password_hash, is_admin, created_at, disabled, max_jobs_in_flight, "
    "max_images_per_day, max_stored_bytes, max_requests_per_minute, max_request_burst";
inline const std::string kApiKeyColumns =
    "id, user_id, name, prefix, secret_hash, created_at, last_used_at";
inline const std::string kInvitationColumns =
    "id, code_hash, created_by, created_at, expires_at, used_at, COALESCE(used_by, '')";
inline const std::string kPreferenceColumns = "model, style, width, height, negative_prompt, theme";
inline const std::string kJobColumns =
    "id, user_id, " + kParamColumns +
    ", status, progress, attempts, error_code, error_message, cancel_requested, lease_owner, "
    "lease_expires_at, created_at, started_at, finished_at, " +
    kTaskColumns;
inline const std::string kImageColumns = "id, user_id, job_id, idx, " + kParamColumns +
                                         ", title, tags, favorite, blob_key, bytes, sha256, "
                                         "created_at, " +
                                         kTaskColumns;

// What a new job sets (bind_new_job's order); everything else takes the column's default.
inline const std::string kNewJobColumns =
    "id, user_id, " + kParamColumns + ", status, created_at, " + kTaskColumns;
// What a new image sets (bind_new_image's order).
inline const std::string kNewImageColumns = kImageColumns + ", thumbnail_bytes";

// "INSERT INTO table (columns) VALUES (<p>1, <p>2, ...)", one parameter per column, written with
// `placeholder` ('?' for SQLite, '$' for PostgreSQL).
std::string insert_statement(std::string_view table, const std::string& columns, char placeholder);

// Tags are stored as a JSON array of strings. Invalid UTF-8 is replaced rather than refused: the
// API validates text, and a stray byte must not make an image impossible to save.
std::string encode_tags(const std::vector<std::string>& tags);
std::vector<std::string> decode_tags(const std::string& image_id, const std::string& text);
JobStatus parse_status(const std::string& job_id, const std::string& text);
GenerationTask parse_task(const std::string& text);

template <typename Row>
GenerationParams read_params(const Row& row, int first) {
  GenerationParams params;
  params.prompt = row.text(first);
  params.negative_prompt = row.text(first + 1);
  params.model = row.text(first + 2);
  params.style = row.text(first + 3);
  params.width = row.integer(first + 4);
  params.height = row.integer(first + 5);
  params.steps = row.integer(first + 6);
  params.cfg_scale = row.real(first + 7);
  params.seed = static_cast<std::uint32_t>(row.int64(first + 8));
  params.count = row.integer(first + 9);
  return params;
}

template <typename Binder>
void bind_params(Binder& out, const GenerationParams& params) {
  out.add(params.prompt);
  out.add(params.negative_prompt);
  out.add(params.model);
  out.add(params.style);
  out.add(params.width);
  out.add(params.height);
  out.add(params.steps);
  out.add(params.cfg_scale);
  out.add(params.seed);
  out.add(params.count);
}

// The five task columns (kTaskColumns) from `first` on.
template <typename Row>
void read_task_params(const Row& row, int first, GenerationParams& params) {
  params.quality = row.text(first);
  params.task = parse_task(row.text(first + 1));
  params.source_image_id = row.text(first + 2);
  params.mask_image_id = row.text(first + 3);
  params.strength = row.real(first + 4);
}

template <typename Binder>
void bind_task_params(Binder& out, const GenerationParams& params) {
  out.add(params.quality);
  out.add(std::string(to_string(params.task)));
  out.add(params.source_image_id);
  out.add(params.mask_image_id);
  out.add(params.strength);
}

template <typename Row>
User read_user(const Row& row) {
  User user;
  user.id = row.text(0);
  user.email = row.text(1);
  user.password_hash = row.text(2);
  user.is_admin = row.boolean(3);
  user.created_at = row.int64(4);
  user.disabled = row.boolean(5);
  const auto optional_int = [&](int column) -> std::optional<int> {
    if (const auto value = row.optional_int64(column)) return static_cast<int>(*value);
    return std::nullopt;
  };
  user.limits.jobs_in_flight = optional_int(6);
  user.limits.images_per_day = optional_int(7);
  user.limits.stored_bytes = row.optional_int64(8);
  user.limits.requests_per_minute = optional_int(9);
  user.limits.request_burst = optional_int(10);
  return user;
}

template <typename Row>
ApiKey read_api_key(const Row& row) {
  ApiKey key;
  key.id = row.text(0);
  key.user_id = row.text(1);
  key.name = row.text(2);
  key.prefix = row.text(3);
  key.secret_hash = row.text(4);
  key.created_at = row.int64(5);
  key.last_used_at = row.optional_int64(6);
  return key;
}

template <typename Row>
Invitation read_invitation(const Row& row) {
  Invitation invitation;
  invitation.id = row.text(0);
  invitation.code_hash = row.text(1);
  invitation.created_by = row.text(2);
  invitation.created_at = row.int64(3);
  invitation.expires_at = row.int64(4);
  invitation.used_at = row.optional_int64(5);
  invitation.used_by = row.text(6);
  return invitation;
}

template <typename Row>
Preferences read_preferences(const Row& row) {
  Preferences prefs;
  prefs.model = row.text(0);
  prefs.style = row.text(1);
  prefs.width = row.integer(2);
  prefs.height = row.integer(3);
  prefs.negative_prompt = row.text(4);
  prefs.theme = row.text(5);
  return prefs;
}

template <typename Row>
Job read_job(const Row& row) {
  Job job;
  job.id = row.text(0);
  job.user_id = row.text(1);
  job.params = read_params(row, 2);
  job.status = parse_status(job.id, row.text(12));
  job.progress = row.real(13);
  job.attempts = row.integer(14);
  job.error_code = row.text(15);
  job.error_message = row.text(16);
  job.cancel_requested = row.boolean(17);
  job.lease_owner = row.text(18);
  job.lease_expires_at = row.int64(19);
  job.created_at = row.int64(20);
  job.started_at = row.optional_int64(21);
  job.finished_at = row.optional_int64(22);
  read_task_params(row, 23, job.params);
  return job;
}

// A job always starts queued: only its id, owner, parameters and creation time are taken.
template <typename Binder>
void bind_new_job(Binder& out, const Job& job) {
  out.add(job.id);
  out.add(job.user_id);
  bind_params(out, job.params);
  out.add(std::string(to_string(JobStatus::queued)));
  out.add(job.created_at);
  bind_task_params(out, job.params);
}

template <typename Row>
Image read_image(const Row& row) {
  Image image;
  image.id = row.text(0);
  image.user_id = row.text(1);
  image.job_id = row.text(2);
  image.index = row.integer(3);
  image.params = read_params(row, 4);
  image.title = row.text(14);
  image.tags = decode_tags(image.id, row.text(15));
  image.favorite = row.boolean(16);
  image.blob_key = row.text(17);
  image.bytes = row.int64(18);
  image.sha256 = row.text(19);
  image.created_at = row.int64(20);
  read_task_params(row, 21, image.params);
  return image;
}

// The image is filed under `user_id` and `job_id` whatever its own fields say, so that a worker
// cannot file images under another user or job.
template <typename Binder>
void bind_new_image(Binder& out, const Image& image, const std::string& user_id,
                    const std::string& job_id) {
  out.add(image.id);
  out.add(user_id);
  out.add(job_id);
  out.add(image.index);
  bind_params(out, image.params);
  out.add(image.title);
  out.add(encode_tags(image.tags));
  out.add(image.favorite);
  out.add(image.blob_key);
  out.add(image.bytes);
  out.add(image.sha256);
  out.add(image.created_at);
  bind_task_params(out, image.params);
  out.add(image.thumbnail_bytes);
}

}  // namespace rendermart::records
