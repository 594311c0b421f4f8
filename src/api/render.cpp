#include "api/render.hpp"

#include "core/iso_time.hpp"

namespace rendermart::api {
namespace {

nlohmann::json optional_time(const std::optional<Millis>& time) {
  return time ? nlohmann::json(format_iso8601(*time)) : nlohmann::json(nullptr);
}

}  // namespace

http::Response json_reply(unsigned status, const nlohmann::json& body) {
  return http::json_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json render_user(const User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"is_admin", user.is_admin},
          {"created_at", format_iso8601(user.created_at)}};
}

nlohmann::json render_api_key(const ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"prefix", key.prefix},
          {"created_at", format_iso8601(key.created_at)},
          {"last_used_at", optional_time(key.last_used_at)}};
}

nlohmann::json render_preferences(const Preferences& prefs) {
  return {{"model", prefs.model},   {"style", prefs.style},
          {"width", prefs.width},   {"height", prefs.height},
          {"negative_prompt", prefs.negative_prompt}, {"theme", prefs.theme}};
}

nlohmann::json render_params(const GenerationParams& params) {
  return {{"prompt", params.prompt}, {"negative_prompt", params.negative_prompt},
          {"model", params.model},   {"style", params.style},
          {"width", params.width},   {"height", params.height},
          {"steps", params.steps},   {"cfg_scale", params.cfg_scale},
          {"seed", params.seed},     {"count", params.count}};
}

nlohmann::json render_generation(const Job& job, std::optional<int> queue_position) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& image : job.images) images.push_back(render_image(image));
  nlohmann::json error = nullptr;
  if (!job.error_code.empty() && job.status == JobStatus::failed) {
    error = {{"code", job.error_code}, {"message", job.error_message}};
  }
  return {{"id", job.id},
          {"status", to_string(job.status)},
          {"progress", job.progress},
          {"queue_position", queue_position ? nlohmann::json(*queue_position) : nullptr},
          {"error", error},
          {"params", render_params(job.params)},
          {"images", images},
          {"created_at", format_iso8601(job.created_at)},
          {"started_at", optional_time(job.started_at)},
          {"finished_at", optional_time(job.finished_at)}};
}

nlohmann::json render_image(const Image& image) {
  const std::string base = "/api/v1/images/" + image.id;
  return {{"id", image.id},
          {"generation_id", image.job_id},
          {"index", image.index},
          {"prompt", image.params.prompt},
          {"negative_prompt", image.params.negative_prompt},
          {"model", image.params.model},
          {"style", image.params.style},
          {"width", image.params.width},
          {"height", image.params.height},
          {"steps", image.params.steps},
          {"cfg_scale", image.params.cfg_scale},
          {"seed", image.params.seed},
          {"title", image.title},
          {"tags", image.tags},
          {"favorite", image.favorite},
          {"bytes", image.bytes},
          {"created_at", format_iso8601(image.created_at)},
          {"file_url", base + "/file"},
          {"thumbnail_url", base + "/thumbnail?size=256"}};
}

nlohmann::json render_model(const ModelInfo& model) {
  nlohmann::json fixed = nlohmann::json::array();
  for (const auto& s : model.fixed_sizes) fixed.push_back({{"width", s.width}, {"height", s.height}});
  nlohmann::json sizes = nullptr;
  if (model.fixed_sizes.empty()) {
    sizes = {{"min", model.min_side}, {"max", model.max_side}, {"multiple", model.size_multiple}};
  }
  nlohmann::json steps = nullptr;
  if (model.steps.max > 0) {
    steps = {{"min", model.steps.min}, {"max", model.steps.max},
             {"default", model.steps.default_value}};
  }
  nlohmann::json cfg = nullptr;
  if (model.cfg_scale.max > 0) {
    cfg = {{"min", model.cfg_scale.min}, {"max", model.cfg_scale.max},
           {"default", model.cfg_scale.default_value}};
  }
  return {{"id", model.id},
          {"name", model.name},
          {"provider", model.provider},
          {"kind", model.kind},
          {"description", model.description},
          {"sizes", sizes},
          {"fixed_sizes", fixed},
          {"default_size", {{"width", model.default_size.width}, {"height", model.default_size.height}}},
          {"max_count", model.max_count},
          {"steps", steps},
          {"cfg_scale", cfg},
          {"styles", model.styles},
          {"negative_prompt", model.negative_prompt},
          {"max_prompt_length", model.max_prompt_length}};
}

}  // namespace rendermart::api
