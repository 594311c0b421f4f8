// The OpenAI Images API on RenderMart, so that existing OpenAI clients generate with RenderMart's
// models using a RenderMart API key: POST /v1/images/generations and GET /v1/models, with
// OpenAI's request, response and error shapes
// (https://platform.openai.com/docs/api-reference/images/create). A generation is an ordinary
// job: it is queued like any other, its images land in the user's gallery, and the answer comes
// once the job has finished.

#include <charconv>
#include <climits>

#include "api/authentication.hpp"
#include "api/job_wait.hpp"
#include "api/json_body.hpp"
#include "api/openai_errors.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/base64.hpp"
#include "core/error.hpp"
#include "http/status.hpp"

namespace rendermart::api {
namespace {

// OpenAI's own bound on `n`; each model's max_count is checked by validation.
constexpr int kMaxImagesPerRequest = 10;

enum class ResponseFormat { b64_json, url };

struct ImagesRequest {
  GenerationRequest generation;
  ResponseFormat format = ResponseFormat::b64_json;
};

// {"error": {"code", "message", "param", "type"}}: OpenAI's shape, with RenderMart's stable
// error codes as `code`.
http::Response openai_error_reply(unsigned status, const std::string& code,
                                  const std::string& message, const std::string& param) {
  JsonWriter w;
  w.begin_object();
  w.key("error");
  w.begin_object();
  w.key("code");
  w.value(code);
  w.key("message");
  w.value(message);
  w.key("param");
  if (param.empty()) {
    w.null();
  } else {
    w.value(param);
  }
  w.key("type");
  w.value(status >= 500 ? "server_error" : "invalid_request_error");
  w.end_object();
  w.end_object();
  return json_reply(status, w.take());
}

// RenderMart's field names as the OpenAI request names them.
std::string openai_param(const std::string& field) {
  if (field == "width" || field == "height") return "size";
  if (field == "count") return "n";
  return field;
}

// "1024x768"; "auto" (or nothing) leaves the size to preferences and the model.
void parse_size(const std::string& text, GenerationRequest& out) {
  if (text == "auto") return;
  const auto x = text.find('x');
  int width = 0;
  int height = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const bool ok = x != std::string::npos &&
                  std::from_chars(begin, begin + x, width).ptr == begin + x &&
                  std::from_chars(begin + x + 1, end, height).ptr == end && width > 0 && height > 0;
  if (!ok) throw invalid_argument("size", "size must look like 1024x1024 (or be auto)");
  out.width = width;
  out.height = height;
}

ImagesRequest parse_images_request(const http::Request& request) {
  // negative_prompt and seed are RenderMart's extensions; user is accepted as OpenAI documents
  // it (an end-user id for abuse monitoring) and not stored.
  const auto body = parse_object(request, {"prompt", "model", "n", "size", "quality", "style",
                                           "response_format", "user", "negative_prompt", "seed"});
  ImagesRequest out;
  auto& generation = out.generation;
  generation.prompt = required_string(body, "prompt");
  generation.model = optional_string(body, "model");
  if (auto n = optional_integer(body, "n", 1, kMaxImagesPerRequest)) {
    generation.count = static_cast<int>(*n);
  }
  if (auto size = optional_string(body, "size")) parse_size(*size, generation);
  if (auto quality = optional_string(body, "quality"); quality && *quality != "auto") {
    generation.quality = quality;
  }
  generation.style = optional_string(body, "style");
  generation.negative_prompt = optional_string(body, "negative_prompt");
  if (auto seed = optional_integer(body, "seed", 0, UINT32_MAX)) {
    generation.seed = static_cast<std::uint32_t>(*seed);
  }
  const auto format = optional_string(body, "response_format").value_or("b64_json");
  if (format == "url") {
    out.format = ResponseFormat::url;
  } else if (format != "b64_json") {
    throw invalid_argument("response_format", "response_format must be b64_json or url");
  }
  optional_string(body, "user");  // type-checked only
  return out;
}

std::string render_images(ApiContext& context, const Job& job, ResponseFormat format,
                          const std::string& base) {
  JsonWriter w;
  w.begin_object();
  w.key("created");
  w.value(static_cast<std::int64_t>(job.created_at / 1000));
  w.key("data");
  w.begin_array();
  for (const auto& image : job.images) {
    w.begin_object();
    if (format == ResponseFormat::b64_json) {
      w.key("b64_json");
      w.value(base64_encode(context.images.original(image)));
    } else {
      // The image's file in the API: fetch it with the same API key.
      w.key("url");
      w.value(base + "/api/v1/images/" + image.id + "/file");
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

// The answer for a job in a final state.
http::Response finished(ApiContext& context, const Job& job, ResponseFormat format,
                        const std::string& base) {
  if (job.status == JobStatus::succeeded) {
    return json_reply(200, render_images(context, job, format, base));
  }
  if (job.status == JobStatus::canceled) {
    return openai_error_reply(http::http_status(ErrorCode::canceled), "canceled",
                              "the generation " + job.id + " was canceled", "");
  }
  const auto code = error_code_from_string(job.error_code).value_or(ErrorCode::provider_error);
  return openai_error_reply(http::http_status(code), job.error_code,
                            "the generation " + job.id + " failed: " + job.error_message, "");
}

void write_openai_model(JsonWriter& w, const ModelInfo& model) {
  w.begin_object();
  // RenderMart does not know when a model was published: 0, as OpenAI's shape needs a number.
  w.key("created");
  w.value(0);
  w.key("id");
  w.value(model.id);
  w.key("object");
  w.value("model");
  w.key("owned_by");
  w.value(model.provider);
  w.end_object();
}

}  // namespace

http::Response openai_error(const Error& error) {
  auto response =
      openai_error_reply(http::http_status(error.code()), std::string(to_string(error.code())),
                         error.what(), openai_param(error.field()));
  http::set_retry_headers(error, response);
  return response;
}

void add_openai_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::POST, "/v1/images/generations", [&context](http::Request& request) {
    try {
      const auto user = require_user(context, request);
      const auto parsed = parse_images_request(request);
      require_time_to_generate(request);
      const auto job = context.generations.create(user, parsed.generation);
      return await_job_end(
          context, user, job,
          [&context, format = parsed.format, base = context.public_url.base(request)](
              const Job& ended) { return finished(context, ended, format, base); },
          openai_error);
    } catch (const Error& e) {
      return openai_error(e);
    }
  });

  router.add(Method::GET, "/v1/models", [&context](http::Request& request) {
    try {
      require_user(context, request);
    } catch (const Error& e) {
      return openai_error(e);
    }
    JsonWriter w;
    w.begin_object();
    w.key("data");
    w.begin_array();
    for (const auto& model : context.catalog.models()) write_openai_model(w, model);
    w.end_array();
    w.key("object");
    w.value("list");
    w.end_object();
    return json_reply(200, w.take());
  });
}

}  // namespace rendermart::api
