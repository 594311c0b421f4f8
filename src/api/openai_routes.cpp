// The OpenAI Images API on RenderMart, so that existing OpenAI clients generate with RenderMart's
// models using a RenderMart API key: POST /v1/images/generations, /v1/images/edits,
// /v1/images/variations and GET /v1/models, with OpenAI's request, response and error shapes
// (https://platform.openai.com/docs/api-reference/images). A generation is an ordinary job: it
// is queued like any other, its images land in the user's gallery, and the answer comes once the
// job has finished. An edit's or variation's picture (and mask) are filed as the user's uploads
// first, so that the results link to their source as every edit does.

#include <algorithm>
#include <charconv>
#include <climits>
#include <set>

#include "api/authentication.hpp"
#include "api/filed_sources.hpp"
#include "api/job_wait.hpp"
#include "api/json_body.hpp"
#include "api/multipart_form.hpp"
#include "api/openai_errors.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/base64.hpp"
#include "core/error.hpp"
#include "http/media_type.hpp"
#include "http/status.hpp"
#include "imaging/jpeg.hpp"
#include "imaging/png.hpp"
#include "imaging/uploaded_image.hpp"
#include "imaging/webp.hpp"

namespace rendermart::api {
namespace {

// OpenAI's own bound on `n`; each model's max_count is checked by validation.
constexpr int kMaxImagesPerRequest = 10;

enum class ResponseFormat { b64_json, url };

// How the answer carries its images: base64 or URLs, and in which file format (the stored
// PNG, or JPEG or WebP made from it at output_compression).
struct AnswerFormat {
  ResponseFormat response = ResponseFormat::b64_json;
  std::string output = "png";
  int compression = 100;
};

struct ImagesRequest {
  GenerationRequest generation;
  AnswerFormat format;
};

// The fields the three image routes take besides their own.
const std::set<std::string> kNewerFields{"output_format", "output_compression", "background",
                                         "moderation"};

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
  if (field == "file") return "image";  // an upload's file: the image part of an edit
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

// The fields the three image routes share, from a JSON body or a form's text fields.
ImagesRequest read_images_fields(const nlohmann::json& body) {
  ImagesRequest out;
  auto& generation = out.generation;
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
    out.format.response = ResponseFormat::url;
  } else if (format != "b64_json") {
    throw invalid_argument("response_format", "response_format must be b64_json or url");
  }
  out.format.output = optional_string(body, "output_format").value_or("png");
  if (out.format.output != "png" && out.format.output != "jpeg" && out.format.output != "webp") {
    throw invalid_argument("output_format", "output_format must be png, jpeg or webp");
  }
  if (out.format.output != "png" && out.format.response == ResponseFormat::url) {
    throw invalid_argument(
        "output_format",
        "a URL serves the stored PNG: ask for b64_json to get " + out.format.output);
  }
  if (auto compression = optional_integer(body, "output_compression", 0, 100)) {
    out.format.compression = static_cast<int>(*compression);
  }
  if (auto background = optional_string(body, "background")) {
    if (*background != "auto" && *background != "opaque" && *background != "transparent") {
      throw invalid_argument("background", "background must be auto, opaque or transparent");
    }
    if (*background == "transparent" && out.format.output == "jpeg") {
      throw invalid_argument("background",
                             "a transparent background needs output_format png or webp");
    }
    // auto leaves it to the model.
    if (*background != "auto") generation.background = background;
  }
  generation.moderation = optional_string(body, "moderation");
  optional_string(body, "user");  // type-checked only
  return out;
}

// A model that takes no background makes opaque pictures: asking it for opaque asks for nothing
// (and with no model named, the default model's own default applies).
void drop_implied_background(const ApiContext& context, GenerationRequest& generation) {
  if (generation.background != "opaque") return;
  if (!generation.model || context.catalog.model(*generation.model).backgrounds.empty()) {
    generation.background.reset();
  }
}

ImagesRequest parse_images_request(const http::Request& request) {
  // negative_prompt and seed are RenderMart's extensions; user is accepted as OpenAI documents
  // it (an end-user id for abuse monitoring) and not stored.
  const auto body =
      parse_object(request, {"prompt", "model", "n", "size", "quality", "style", "response_format",
                             "user", "negative_prompt", "seed", "output_format",
                             "output_compression", "background", "moderation"});
  auto out = read_images_fields(body);
  out.generation.prompt = required_string(body, "prompt");
  return out;
}

// An edit or variation: its picture, its mask (edits only), and the other fields.
struct EditForm {
  std::string_view image;
  std::optional<std::string_view> mask;
  ImagesRequest fields;
};

// A multipart/form-data body as OpenAI's edits and variations take it: `image` (or `image[]`, one
// picture: RenderMart edits one at a time), `mask` when `takes_mask`, and text fields, which
// become the JSON values they stand for (n and seed as integers) before the fields are read as
// a generation's are.
EditForm parse_edit_form(const http::Request& request, const std::set<std::string>& allowed,
                         bool takes_mask) {
  const auto content_type = request.header("content-type").value_or("");
  if (http::media_type(content_type) != "multipart/form-data") {
    throw Error(ErrorCode::unsupported_media_type,
                "send the picture and the fields as multipart/form-data", "image");
  }
  EditForm out;
  bool has_image = false;
  auto body = nlohmann::json::object();
  for (const auto& part : parse_multipart_form(content_type, request.body)) {
    if (part.name == "image" || part.name == "image[]") {
      if (has_image) {
        throw invalid_argument("image", "RenderMart edits one image at a time: send one image");
      }
      has_image = true;
      out.image = part.data;
    } else if (part.name == "mask" && takes_mask) {
      out.mask = part.data;
    } else if (allowed.contains(part.name)) {
      const std::string text(part.data);
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      const bool integer =
          (part.name == "n" || part.name == "seed" || part.name == "output_compression") &&
          ec == std::errc() && end == text.data() + text.size();
      body[part.name] = integer ? nlohmann::json(number) : nlohmann::json(text);
    } else {
      throw invalid_argument(part.name, "unknown parameter '" + part.name + "'");
    }
  }
  if (!has_image) throw invalid_argument("image", "the form has no image: send it as `image`");
  out.fields = read_images_fields(body);
  out.fields.generation.prompt = optional_string(body, "prompt").value_or("");
  return out;
}

// Files the edit's picture (and the mask its transparency or its mask file makes) as the user's
// uploads (both or neither) and says what the generation works on: inpaint where a mask marks the
// area to edit (OpenAI: transparent pixels), otherwise a variation of the whole picture.
void attach_sources(ApiContext& context, const User& user, const EditForm& form,
                    GenerationRequest& generation) {
  const auto pixels = context.uploads.decode(form.image);
  std::optional<RawImage> mask;
  if (form.mask) {
    const auto mask_file = decode_mask(context, *form.mask);
    if (mask_file.width != pixels.width || mask_file.height != pixels.height) {
      throw invalid_argument("mask", "the mask must be the size of the image");
    }
    mask = mask_from_transparency(mask_file);
    if (!mask) {
      throw invalid_argument("mask",
                             "the mask has no transparent pixels: make the area to edit "
                             "transparent (a PNG with an alpha channel)");
    }
  } else {
    mask = mask_from_transparency(pixels);
  }
  generation.source_image_id = context.uploads.file(user, pixels).id;
  generation.task = mask ? GenerationTask::inpaint : GenerationTask::image_to_image;
  if (!mask) return;
  try {
    generation.mask_image_id = context.uploads.file(user, *mask).id;
  } catch (const Error&) {
    context.images.remove(user, *generation.source_image_id);
    throw;
  }
}

// An image's file in the answer's format: the stored PNG, or JPEG (over white, as JPEG has no
// transparency) or WebP made from it.
std::string encoded(ApiContext& context, const Image& image, const AnswerFormat& format) {
  const std::string png = context.images.original(image);
  if (format.output == "jpeg") return encode_jpeg(decode_png(png).image, format.compression);
  if (format.output == "webp") {
    return encode_webp(decode_png(png, PngAlpha::keep).image, format.compression);
  }
  return png;
}

// OpenAI's answer: created, data, and the settings it echoes (background, output_format,
// quality, size). RenderMart counts no tokens, so there is no usage, and its models revise no
// prompt.
std::string render_images(ApiContext& context, const Job& job, const AnswerFormat& format,
                          const std::string& base) {
  JsonWriter w;
  w.begin_object();
  w.key("background");
  if (!job.params.background.empty()) {
    w.value(job.params.background);
  } else {
    const bool transparent = std::any_of(job.images.begin(), job.images.end(), [](const Image& i) {
      return i.params.task == GenerationTask::remove_background;
    });
    w.value(transparent ? "transparent" : "opaque");
  }
  w.key("created");
  w.value(static_cast<std::int64_t>(job.created_at / 1000));
  w.key("data");
  w.begin_array();
  for (const auto& image : job.images) {
    w.begin_object();
    if (format.response == ResponseFormat::b64_json) {
      w.key("b64_json");
      w.value(base64_encode(encoded(context, image, format)));
    } else {
      // The image's file in the API: fetch it with the same API key.
      w.key("url");
      w.value(base + "/api/v1/images/" + image.id + "/file");
    }
    w.end_object();
  }
  w.end_array();
  w.key("output_format");
  w.value(format.output);
  w.key("quality");
  w.value(job.params.quality.empty() ? "auto" : job.params.quality);
  w.key("size");
  const auto& first = job.images.empty() ? job.params : job.images.front().params;
  w.value(std::to_string(first.width) + "x" + std::to_string(first.height));
  w.end_object();
  return w.take();
}

// The answer for a job in a final state.
http::Response finished(ApiContext& context, const Job& job, const AnswerFormat& format,
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
      auto parsed = parse_images_request(request);
      drop_implied_background(context, parsed.generation);
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

  // Edits (a prompt, optionally a mask) and variations (no prompt, no mask) of an uploaded
  // picture.
  const auto add_edit_route = [&router, &context](const char* path, bool edit) {
    router.add(Method::POST, path, [&context, edit](http::Request& request) {
      try {
        const auto user = require_user(context, request);
        std::set<std::string> edit_fields{"prompt", "model",           "n",
                                          "size",   "quality",         "response_format",
                                          "user",   "negative_prompt", "seed"};
        std::set<std::string> variation_fields{"model",           "n",    "size",
                                               "response_format", "user", "seed"};
        edit_fields.insert(kNewerFields.begin(), kNewerFields.end());
        variation_fields.insert(kNewerFields.begin(), kNewerFields.end());
        auto form = parse_edit_form(request, edit ? edit_fields : variation_fields, edit);
        drop_implied_background(context, form.fields.generation);
        if (edit && form.fields.generation.prompt.empty()) {
          throw invalid_argument("prompt", "prompt is required: say what the edit should make");
        }
        require_time_to_generate(request);
        auto& generation = form.fields.generation;
        attach_sources(context, user, form, generation);
        std::vector<std::string> filed{*generation.source_image_id};
        if (generation.mask_image_id) filed.push_back(*generation.mask_image_id);
        const auto job = create_on_filed_sources(context, user, generation, filed);
        return await_job_end(
            context, user, job,
            [&context, format = form.fields.format, base = context.public_url.base(request)](
                const Job& ended) { return finished(context, ended, format, base); },
            openai_error);
      } catch (const Error& e) {
        return openai_error(e);
      }
    });
  };
  add_edit_route("/v1/images/edits", true);
  add_edit_route("/v1/images/variations", false);

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
