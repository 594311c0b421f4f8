#include "api/render.hpp"

#include "core/iso_time.hpp"

namespace rendermart::api {
namespace {

void write_time(JsonWriter& w, const std::optional<Millis>& time) {
  if (time) {
    w.value(format_iso8601(*time));
  } else {
    w.null();
  }
}

void write_size(JsonWriter& w, const Size& size) {
  w.begin_object();
  w.key("height");
  w.value(size.height);
  w.key("width");
  w.value(size.width);
  w.end_object();
}

void write_loras(JsonWriter& w, const std::vector<LoraUse>& loras) {
  w.begin_array();
  for (const auto& lora : loras) {
    w.begin_object();
    w.key("hash");
    w.value(lora.hash);
    w.key("name");
    w.value(lora.name);
    w.key("weight");
    w.value(lora.weight);
    w.end_object();
  }
  w.end_array();
}

// A model's range of a setting ({default, max, min}: IntRange or RealRange), or null when it
// takes none.
template <typename Range>
void write_range(JsonWriter& w, const Range& range) {
  if (range.max > 0) {
    w.begin_object();
    w.key("default");
    w.value(range.default_value);
    w.key("max");
    w.value(range.max);
    w.key("min");
    w.value(range.min);
    w.end_object();
  } else {
    w.null();
  }
}

void write_choices(JsonWriter& w, const std::vector<std::string>& choices) {
  w.begin_array();
  for (const auto& choice : choices) w.value(choice);
  w.end_array();
}

}  // namespace

void write_optional_text(JsonWriter& w, const std::string& text) {
  if (text.empty()) {
    w.null();
  } else {
    w.value(text);
  }
}

http::Response json_reply(unsigned status, std::string body) {
  return http::json_response(status, std::move(body));
}

void write_user(JsonWriter& w, const User& user) {
  w.begin_object();
  w.key("created_at");
  w.value(format_iso8601(user.created_at));
  w.key("email");
  w.value(user.email);
  w.key("id");
  w.value(user.id);
  w.key("is_admin");
  w.value(user.is_admin);
  w.end_object();
}

std::string render_user_envelope(const User& user) {
  JsonWriter w;
  w.begin_object();
  w.key("user");
  write_user(w, user);
  w.end_object();
  return w.take();
}

void write_api_key(JsonWriter& w, const ApiKey& key, const std::string* secret) {
  w.begin_object();
  w.key("created_at");
  w.value(format_iso8601(key.created_at));
  w.key("id");
  w.value(key.id);
  w.key("last_used_at");
  write_time(w, key.last_used_at);
  w.key("name");
  w.value(key.name);
  w.key("prefix");
  w.value(key.prefix);
  if (secret) {
    w.key("secret");
    w.value(*secret);
  }
  w.end_object();
}

void write_invitation(JsonWriter& w, const Invitation& invitation, const std::string* code) {
  w.begin_object();
  if (code) {
    w.key("code");
    w.value(*code);
  }
  w.key("created_at");
  w.value(format_iso8601(invitation.created_at));
  w.key("expires_at");
  w.value(format_iso8601(invitation.expires_at));
  w.key("id");
  w.value(invitation.id);
  w.key("used_at");
  write_time(w, invitation.used_at);
  w.end_object();
}

void write_preferences(JsonWriter& w, const Preferences& prefs) {
  w.begin_object();
  w.key("height");
  w.value(prefs.height);
  w.key("model");
  w.value(prefs.model);
  w.key("negative_prompt");
  w.value(prefs.negative_prompt);
  w.key("style");
  w.value(prefs.style);
  w.key("theme");
  w.value(prefs.theme);
  w.key("width");
  w.value(prefs.width);
  w.end_object();
}

void write_params(JsonWriter& w, const GenerationParams& params) {
  w.begin_object();
  w.key("background");
  write_optional_text(w, params.background);
  w.key("cfg_scale");
  w.value(params.cfg_scale);
  w.key("change_strength");
  w.value(params.change_strength);
  w.key("composition_fidelity");
  w.value(params.composition_fidelity);
  w.key("control_strength");
  w.value(params.control_strength);
  w.key("count");
  w.value(params.count);
  w.key("creativity");
  w.value(params.creativity);
  w.key("grow_mask");
  w.value(params.grow_mask);
  w.key("height");
  w.value(params.height);
  w.key("loras");
  write_loras(w, params.loras);
  w.key("mask_blur");
  w.value(params.mask_blur);
  w.key("mask_image_id");
  write_optional_text(w, params.mask_image_id);
  w.key("model");
  w.value(params.model);
  w.key("moderation");
  write_optional_text(w, params.moderation);
  w.key("negative_prompt");
  w.value(params.negative_prompt);
  w.key("prompt");
  w.value(params.prompt);
  w.key("quality");
  w.value(params.quality);
  w.key("search_prompt");
  write_optional_text(w, params.search_prompt);
  w.key("seed");
  w.value(params.seed);
  w.key("source_image_id");
  write_optional_text(w, params.source_image_id);
  w.key("steps");
  w.value(params.steps);
  w.key("strength");
  w.value(params.strength);
  w.key("style");
  w.value(params.style);
  w.key("style_image_id");
  write_optional_text(w, params.style_image_id);
  w.key("style_preset");
  write_optional_text(w, params.style_preset);
  w.key("task");
  w.value(to_string(params.task));
  w.key("width");
  w.value(params.width);
  w.end_object();
}

void write_generation(JsonWriter& w, const Job& job, std::optional<int> queue_position) {
  w.begin_object();
  w.key("created_at");
  w.value(format_iso8601(job.created_at));
  w.key("error");
  if (!job.error_code.empty() && job.status == JobStatus::failed) {
    w.begin_object();
    w.key("code");
    w.value(job.error_code);
    w.key("message");
    w.value(job.error_message);
    w.end_object();
  } else {
    w.null();
  }
  w.key("finished_at");
  write_time(w, job.finished_at);
  w.key("id");
  w.value(job.id);
  w.key("images");
  w.begin_array();
  for (const auto& image : job.images) write_image(w, image);
  w.end_array();
  w.key("params");
  write_params(w, job.params);
  w.key("progress");
  w.value(job.progress);
  w.key("queue_position");
  if (queue_position) {
    w.value(*queue_position);
  } else {
    w.null();
  }
  w.key("started_at");
  write_time(w, job.started_at);
  w.key("status");
  w.value(to_string(job.status));
  w.end_object();
}

void write_image(JsonWriter& w, const Image& image) {
  // Both URLs are built in one buffer: a page of images spent a visible share of its time in
  // malloc and free.
  std::string url = "/api/v1/images/" + image.id;
  const std::size_t base = url.size();
  w.begin_object();
  w.key("bytes");
  w.value(image.bytes);
  w.key("background");
  write_optional_text(w, image.params.background);
  w.key("cfg_scale");
  w.value(image.params.cfg_scale);
  w.key("change_strength");
  w.value(image.params.change_strength);
  w.key("composition_fidelity");
  w.value(image.params.composition_fidelity);
  w.key("control_strength");
  w.value(image.params.control_strength);
  w.key("created_at");
  w.value(format_iso8601(image.created_at));
  w.key("creativity");
  w.value(image.params.creativity);
  w.key("favorite");
  w.value(image.favorite);
  w.key("file_url");
  url += "/file";
  w.value(url);
  w.key("generation_id");
  w.value(image.job_id);
  w.key("grow_mask");
  w.value(image.params.grow_mask);
  w.key("height");
  w.value(image.params.height);
  w.key("id");
  w.value(image.id);
  w.key("index");
  w.value(image.index);
  w.key("loras");
  write_loras(w, image.params.loras);
  w.key("mask_blur");
  w.value(image.params.mask_blur);
  w.key("mask_image_id");
  write_optional_text(w, image.params.mask_image_id);
  w.key("model");
  w.value(image.params.model);
  w.key("moderation");
  write_optional_text(w, image.params.moderation);
  w.key("negative_prompt");
  w.value(image.params.negative_prompt);
  w.key("origin");
  w.value(image.params.task == GenerationTask::upload ? "uploaded" : "generated");
  w.key("prompt");
  w.value(image.params.prompt);
  w.key("quality");
  w.value(image.params.quality);
  w.key("search_prompt");
  write_optional_text(w, image.params.search_prompt);
  w.key("seed");
  w.value(image.params.seed);
  w.key("source_image_id");
  write_optional_text(w, image.params.source_image_id);
  w.key("steps");
  w.value(image.params.steps);
  w.key("strength");
  w.value(image.params.strength);
  w.key("style");
  w.value(image.params.style);
  w.key("style_image_id");
  write_optional_text(w, image.params.style_image_id);
  w.key("style_preset");
  write_optional_text(w, image.params.style_preset);
  w.key("tags");
  w.begin_array();
  for (const auto& tag : image.tags) w.value(tag);
  w.end_array();
  w.key("task");
  w.value(to_string(image.params.task));
  w.key("thumbnail_url");
  url.replace(base, std::string::npos, "/thumbnail?size=256");
  w.value(url);
  w.key("title");
  w.value(image.title);
  w.key("width");
  w.value(image.params.width);
  w.end_object();
}

void write_model(JsonWriter& w, const ModelInfo& model) {
  w.begin_object();
  w.key("backgrounds");
  write_choices(w, model.backgrounds);
  w.key("cfg_scale");
  write_range(w, model.cfg_scale);
  w.key("change_strength");
  write_range(w, model.change_strength);
  w.key("composition_fidelity");
  write_range(w, model.composition_fidelity);
  w.key("control_strength");
  write_range(w, model.control_strength);
  w.key("creativity");
  write_range(w, model.creativity);
  w.key("default_size");
  write_size(w, model.default_size);
  w.key("description");
  w.value(model.description);
  w.key("family");
  w.value(model.family);
  w.key("fixed_sizes");
  w.begin_array();
  for (const auto& size : model.fixed_sizes) write_size(w, size);
  w.end_array();
  w.key("grow_mask");
  write_range(w, model.grow_mask);
  w.key("id");
  w.value(model.id);
  w.key("kind");
  w.value(model.kind);
  w.key("license");
  write_optional_text(w, model.license);
  w.key("loaded");
  if (model.loaded) {
    w.value(*model.loaded);
  } else {
    w.null();
  }
  w.key("loras");
  w.begin_array();
  for (const auto& lora : model.loras) {
    w.begin_object();
    w.key("hash");
    w.value(lora.hash);
    w.key("name");
    w.value(lora.name);
    w.end_object();
  }
  w.end_array();
  w.key("mask_blur");
  write_range(w, model.mask_blur);
  w.key("max_aspect_ratio");
  if (model.max_aspect_ratio > 0) {
    w.value(model.max_aspect_ratio);
  } else {
    w.null();
  }
  w.key("max_count");
  w.value(model.max_count);
  w.key("max_pixels");
  if (model.max_pixels > 0) {
    w.value(model.max_pixels);
  } else {
    w.null();
  }
  w.key("max_prompt_length");
  w.value(model.max_prompt_length);
  w.key("moderations");
  write_choices(w, model.moderations);
  w.key("name");
  w.value(model.name);
  w.key("negative_prompt");
  w.value(model.negative_prompt);
  w.key("provider");
  w.value(model.provider);
  w.key("qualities");
  write_choices(w, model.qualities);
  w.key("shutdown_date");
  write_optional_text(w, model.shutdown_date);
  w.key("size_bytes");
  if (model.size_bytes > 0) {
    w.value(model.size_bytes);
  } else {
    w.null();
  }
  w.key("sizes");
  if (model.fixed_sizes.empty()) {
    w.begin_object();
    w.key("max");
    w.value(model.max_side);
    w.key("min");
    w.value(model.min_side);
    w.key("multiple");
    w.value(model.size_multiple);
    w.end_object();
  } else {
    w.null();
  }
  w.key("source");
  write_optional_text(w, model.source);
  w.key("steps");
  write_range(w, model.steps);
  w.key("style_presets");
  write_choices(w, model.style_presets);
  w.key("styles");
  write_choices(w, model.styles);
  w.key("tasks");
  w.begin_array();
  for (const auto task : model.tasks) w.value(to_string(task));
  w.end_array();
  w.end_object();
}

}  // namespace rendermart::api
