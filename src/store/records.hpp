#pragma once

// Each record's columns, how a row maps to it, and the order of its insert parameters: defined
// once, for both backends. The backends keep their dialect's SQL and their connections.
//
// A record's columns are listed by one function, visit_columns(visit, record), which calls
// visit(name, field) for each column in order. Everything else is derived from that list: the
// column names for SELECT and INSERT (column_names), reading a row (read), binding an insert's
// parameters (bind). A column's type follows from its field's type; enumerations are stored as
// their names, tags and LoRAs as JSON arrays.
//
// A Row is a backend's view of one result row, with 0-based columns: text(c), int64(c),
// integer(c), real(c), boolean(c), optional_int64(c) (sqlite::Query, pg::Row).
// A Binder takes an insert's parameters in column order: add(value) for strings, integers,
// floating point, bool and optionals (sqlite::Binder, pg::Binder).
//
// A new column of images or jobs: its field in core/domain.hpp and one line below.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/domain.hpp"

namespace rendermart::records {

// R is Record or const Record: one column list serves reading (into a record) and binding
// (from one).
template <typename R, typename Record>
concept RecordOf = std::same_as<std::remove_const_t<R>, Record>;

template <typename Visit, RecordOf<GenerationParams> P>
void visit_columns(Visit& visit, P& params) {
  visit("prompt", params.prompt);
  visit("negative_prompt", params.negative_prompt);
  visit("model", params.model);
  visit("style", params.style);
  visit("background", params.background);
  visit("moderation", params.moderation);
  visit("search_prompt", params.search_prompt);
  visit("style_image_id", params.style_image_id);
  visit("creativity", params.creativity);
  visit("control_strength", params.control_strength);
  visit("style_preset", params.style_preset);
  visit("grow_mask", params.grow_mask);
  visit("composition_fidelity", params.composition_fidelity);
  visit("change_strength", params.change_strength);
  visit("width", params.width);
  visit("height", params.height);
  visit("steps", params.steps);
  visit("cfg_scale", params.cfg_scale);
  visit("seed", params.seed);
  visit("count", params.count);
  visit("quality", params.quality);
  visit("task", params.task);
  visit("source_image_id", params.source_image_id);
  visit("mask_image_id", params.mask_image_id);
  visit("strength", params.strength);
  visit("mask_blur", params.mask_blur);
  visit("loras", params.loras);
}

template <typename Visit, RecordOf<Job> J>
void visit_columns(Visit& visit, J& job) {
  visit("id", job.id);
  visit("user_id", job.user_id);
  visit_columns(visit, job.params);
  visit("status", job.status);
  visit("progress", job.progress);
  visit("attempts", job.attempts);
  visit("error_code", job.error_code);
  visit("error_message", job.error_message);
  visit("cancel_requested", job.cancel_requested);
  visit("lease_owner", job.lease_owner);
  visit("lease_expires_at", job.lease_expires_at);
  visit("created_at", job.created_at);
  visit("started_at", job.started_at);
  visit("finished_at", job.finished_at);
}

// What a new job sets: it always starts queued, and everything not named here takes the
// column's default.
struct NewJob {
  const Job& job;
};
template <typename Visit>
void visit_columns(Visit& visit, const NewJob& new_job) {
  static const JobStatus queued = JobStatus::queued;
  visit("id", new_job.job.id);
  visit("user_id", new_job.job.user_id);
  visit_columns(visit, new_job.job.params);
  visit("status", queued);
  visit("created_at", new_job.job.created_at);
}

template <typename Visit, RecordOf<Image> I>
void visit_columns(Visit& visit, I& image) {
  visit("id", image.id);
  visit("user_id", image.user_id);
  visit("job_id", image.job_id);
  visit("idx", image.index);
  visit_columns(visit, image.params);
  visit("title", image.title);
  visit("tags", image.tags);
  visit("favorite", image.favorite);
  visit("blob_key", image.blob_key);
  visit("bytes", image.bytes);
  visit("thumbnail_bytes", image.thumbnail_bytes);
  visit("sha256", image.sha256);
  visit("created_at", image.created_at);
}

template <typename Visit, RecordOf<User> U>
void visit_columns(Visit& visit, U& user) {
  visit("id", user.id);
  visit("email", user.email);
  visit("password_hash", user.password_hash);
  visit("is_admin", user.is_admin);
  visit("created_at", user.created_at);
  visit("disabled", user.disabled);
  visit("max_jobs_in_flight", user.limits.jobs_in_flight);
  visit("max_images_per_day", user.limits.images_per_day);
  visit("max_stored_bytes", user.limits.stored_bytes);
  visit("max_requests_per_minute", user.limits.requests_per_minute);
  visit("max_request_burst", user.limits.request_burst);
}

template <typename Visit, RecordOf<ApiKey> K>
void visit_columns(Visit& visit, K& key) {
  visit("id", key.id);
  visit("user_id", key.user_id);
  visit("name", key.name);
  visit("prefix", key.prefix);
  visit("secret_hash", key.secret_hash);
  visit("created_at", key.created_at);
  visit("last_used_at", key.last_used_at);
}

template <typename Visit, RecordOf<Invitation> I>
void visit_columns(Visit& visit, I& invitation) {
  visit("id", invitation.id);
  visit("code_hash", invitation.code_hash);
  visit("created_by", invitation.created_by);
  visit("created_at", invitation.created_at);
  visit("expires_at", invitation.expires_at);
  visit("used_at", invitation.used_at);
  // NULL once the user who registered with it is deleted.
  visit("COALESCE(used_by, '')", invitation.used_by);
}

template <typename Visit, RecordOf<Preferences> P>
void visit_columns(Visit& visit, P& prefs) {
  visit("model", prefs.model);
  visit("style", prefs.style);
  visit("width", prefs.width);
  visit("height", prefs.height);
  visit("negative_prompt", prefs.negative_prompt);
  visit("theme", prefs.theme);
}

// Tags are stored as a JSON array of strings. Invalid UTF-8 is replaced rather than refused: the
// API validates text, and a stray byte must not make an image impossible to save.
std::string encode_tags(const std::vector<std::string>& tags);
std::vector<std::string> decode_tags(const std::string& text);
// LoRAs are stored as a JSON array of {"name", "weight", "hash"} objects.
std::string encode_loras(const std::vector<LoraUse>& loras);
std::vector<LoraUse> decode_loras(const std::string& text);
JobStatus parse_status(const std::string& text);
GenerationTask parse_task(const std::string& text);

// "a, b, c": a record's columns in order.
template <typename Record>
std::string column_names() {
  std::string names;
  auto visit = [&names](std::string_view name, const auto&) {
    if (!names.empty()) names += ", ";
    names += name;
  };
  if constexpr (std::is_same_v<Record, NewJob>) {
    const Job job;
    visit_columns(visit, NewJob{job});
  } else {
    const Record record{};
    visit_columns(visit, record);
  }
  return names;
}

// "INSERT INTO table (columns) VALUES (<p>1, <p>2, ...)", one parameter per column, written with
// `placeholder` ('?' for SQLite, '$' for PostgreSQL).
std::string insert_statement(std::string_view table, const std::string& columns, char placeholder);

// Reads a row whose columns are the record's column_names(), in order.
template <typename Record, typename Row>
Record read(const Row& row) {
  Record record{};
  int column = 0;
  auto visit = [&](std::string_view, auto& field) {
    using Field = std::remove_cvref_t<decltype(field)>;
    const int c = column++;
    if constexpr (std::is_same_v<Field, std::string>) {
      field = row.text(c);
    } else if constexpr (std::is_same_v<Field, bool>) {
      field = row.boolean(c);
    } else if constexpr (std::is_same_v<Field, int>) {
      field = row.integer(c);
    } else if constexpr (std::is_same_v<Field, std::int64_t>) {
      field = row.int64(c);
    } else if constexpr (std::is_same_v<Field, std::uint32_t>) {
      field = static_cast<std::uint32_t>(row.int64(c));
    } else if constexpr (std::is_same_v<Field, double>) {
      field = row.real(c);
    } else if constexpr (std::is_same_v<Field, std::optional<std::int64_t>>) {
      field = row.optional_int64(c);
    } else if constexpr (std::is_same_v<Field, std::optional<int>>) {
      const auto value = row.optional_int64(c);
      field = value ? std::optional<int>(static_cast<int>(*value)) : std::nullopt;
    } else if constexpr (std::is_same_v<Field, JobStatus>) {
      field = parse_status(row.text(c));
    } else if constexpr (std::is_same_v<Field, GenerationTask>) {
      field = parse_task(row.text(c));
    } else if constexpr (std::is_same_v<Field, std::vector<LoraUse>>) {
      field = decode_loras(row.text(c));
    } else {
      static_assert(std::is_same_v<Field, std::vector<std::string>>, "a column of unknown type");
      field = decode_tags(row.text(c));
    }
  };
  visit_columns(visit, record);
  return record;
}

// Binds the record's columns, in column_names() order.
template <typename Binder, typename Record>
void bind(Binder& out, const Record& record) {
  auto visit = [&out](std::string_view, const auto& field) {
    using Field = std::remove_cvref_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, JobStatus> || std::is_same_v<Field, GenerationTask>) {
      out.add(std::string(to_string(field)));
    } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
      out.add(encode_tags(field));
    } else if constexpr (std::is_same_v<Field, std::vector<LoraUse>>) {
      out.add(encode_loras(field));
    } else {
      out.add(field);
    }
  };
  visit_columns(visit, record);
}

// The image is filed under `user_id` and `job_id` whatever its own fields say, so that a worker
// cannot file images under another user or job.
template <typename Binder>
void bind_new_image(Binder& out, Image image, const std::string& user_id,
                    const std::string& job_id) {
  image.user_id = user_id;
  image.job_id = job_id;
  bind(out, image);
}

inline const std::string kUserColumns = column_names<User>();
// The index of the first column after a user's in a row that selects more.
inline const int kUserColumnCount =
    static_cast<int>(std::count(kUserColumns.begin(), kUserColumns.end(), ',')) + 1;
inline const std::string kApiKeyColumns = column_names<ApiKey>();
inline const std::string kInvitationColumns = column_names<Invitation>();
inline const std::string kPreferenceColumns = column_names<Preferences>();
inline const std::string kJobColumns = column_names<Job>();
inline const std::string kNewJobColumns = column_names<NewJob>();
inline const std::string kImageColumns = column_names<Image>();

}  // namespace rendermart::records
