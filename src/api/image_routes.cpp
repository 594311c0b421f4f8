#include <charconv>

#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/multipart_form.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "http/media_type.hpp"
#include "imaging/infotext.hpp"

namespace rendermart::api {
namespace {

// Images never change once stored, so clients and proxies may keep them; "private" because
// they are a user's own.
constexpr const char* kImageCacheControl = "private, max-age=31536000, immutable";

ImageQuery parse_image_query(const http::Request& request) {
  ImageQuery query;
  query.page = Page{cursor_param(request), limit_param(request)};
  query.text = request.query_param("q").value_or("");
  if (query.text.size() > 500) throw invalid_argument("q", "search text is longer than 500 bytes");
  query.model = request.query_param("model").value_or("");
  if (auto favorite = request.query_param("favorite")) {
    if (*favorite != "true" && *favorite != "false") {
      throw invalid_argument("favorite", "favorite must be true or false");
    }
    query.favorite = *favorite == "true";
  }
  const auto date = [&](const char* field) -> std::optional<Millis> {
    const auto text = request.query_param(field);
    if (!text) return std::nullopt;
    auto millis = parse_iso8601(*text);
    if (!millis) {
      throw invalid_argument(
          field, std::string(field) + " must be an ISO-8601 date or date-time, like 2026-01-31");
    }
    return millis;
  };
  query.created_from = date("from");
  query.created_to = date("to");
  return query;
}

ImagePatch parse_image_patch(const http::Request& request) {
  const auto body = parse_object(request, {"favorite", "title", "tags"});
  return ImagePatch{optional_bool(body, "favorite"), optional_string(body, "title"),
                    optional_string_array(body, "tags")};
}

// Raw bodies: the picture itself, as a browser's fetch() or curl --data-binary sends a file.
bool is_image_media_type(const std::string& type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/webp";
}

// "a, b,c" -> {"a", "b", "c"}: tags of a raw upload, from the query string.
std::vector<std::string> split_tags(const std::string& text) {
  std::vector<std::string> tags;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    auto tag = text.substr(start, comma - start);
    tag.erase(0, tag.find_first_not_of(' '));
    tag.erase(tag.find_last_not_of(' ') + 1);
    if (!tag.empty()) tags.push_back(std::move(tag));
    start = comma + 1;
  }
  return tags;
}

// A multipart form holds one `file` part and optionally `title` and `tags` (one part per tag);
// a raw body is the file, with title and tags (comma-separated) in the query string.
Upload parse_upload(const http::Request& request) {
  const auto type = http::media_type(request.header("content-type").value_or(""));
  Upload upload;
  if (is_image_media_type(type)) {
    upload.bytes = request.body;
    upload.title = request.query_param("title");
    if (auto tags = request.query_param("tags")) upload.tags = split_tags(*tags);
    return upload;
  }
  if (type != "multipart/form-data") {
    throw Error(ErrorCode::unsupported_media_type,
                "send the picture as multipart/form-data with a `file` part, or as the body "
                "itself with Content-Type image/png, image/jpeg or image/webp",
                "content-type");
  }
  bool has_file = false;
  for (const auto& part : parse_multipart_form(*request.header("content-type"), request.body)) {
    if (part.name == "file") {
      if (has_file) throw invalid_argument("file", "send one file per upload");
      has_file = true;
      upload.bytes = part.data;
    } else if (part.name == "title") {
      upload.title = std::string(part.data);
    } else if (part.name == "tags") {
      if (!upload.tags) upload.tags.emplace();
      upload.tags->emplace_back(part.data);
    } else {
      throw invalid_argument(
          part.name, "unknown field '" + part.name + "': an upload takes file, title and tags");
    }
  }
  if (!has_file) {
    throw invalid_argument("file",
                           "the form has no `file` part: put the picture in a field "
                           "named file");
  }
  return upload;
}

http::Response file_response(std::string bytes, const std::string& content_type,
                             const std::string& etag) {
  http::Response response;
  response.body = std::move(bytes);
  response.set_header("Content-Type", content_type);
  response.set_header("Cache-Control", kImageCacheControl);
  response.etag = etag;
  response.accept_ranges = true;
  return response;
}

int thumbnail_size_param(const http::Request& request) {
  const auto text = request.query_param("size").value_or("256");
  int size = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw invalid_argument("size", "thumbnail size must be 256 or 512");
  }
  return size;
}

}  // namespace

void add_image_routes(http::Router& router, ApiContext& context) {
  using http::Method;
  auto& images = context.images;

  router.add(Method::GET, "/api/v1/images", [&context, &images](http::Request& request) {
    const auto user = require_user(context, request);
    const auto query = parse_image_query(request);
    return json_reply(200, render_page(images.list(user, query), query.page.limit, write_image));
  });

  // Beside the pages rather than in them: the gallery asks once per filter, not once per page.
  router.add(Method::GET, "/api/v1/images/count", [&context, &images](http::Request& request) {
    const auto user = require_user(context, request);
    JsonWriter w;
    w.begin_object();
    w.key("count");
    w.value(images.count(user, parse_image_query(request)));
    w.end_object();
    return json_reply(200, w.take());
  });

  router.add(Method::POST, "/api/v1/images", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    const auto image = context.uploads.upload(user, parse_upload(request));
    auto response = json_reply(201, render(image, write_image));
    response.set_header("Location", "/api/v1/images/" + image.id);
    return response;
  });

  router.add(Method::GET, "/api/v1/images/{id}", [&context, &images](http::Request& request) {
    const auto user = require_user(context, request);
    return json_reply(200, render(images.get(user, request.param("id")), write_image));
  });

  router.add(Method::PATCH, "/api/v1/images/{id}", [&context, &images](http::Request& request) {
    const auto user = require_user(context, request);
    const auto patch = parse_image_patch(request);
    return json_reply(200, render(images.update(user, request.param("id"), patch), write_image));
  });

  router.add(Method::DELETE_, "/api/v1/images/{id}", [&context, &images](http::Request& request) {
    images.remove(require_user(context, request), request.param("id"));
    http::Response response;
    response.status = 204;
    return response;
  });

  // The text the PNG's `parameters` chunk holds, for pasting into AUTOMATIC1111 and the tools
  // that read its format, without downloading and parsing the file.
  router.add(
      Method::GET, "/api/v1/images/{id}/infotext", [&context, &images](http::Request& request) {
        const auto image = images.get(require_user(context, request), request.param("id"));
        if (image.params.task == GenerationTask::upload) {
          throw Error(ErrorCode::not_found,
                      "an uploaded picture has no generation parameters: only generated "
                      "images have an infotext",
                      "id");
        }
        // The model's name as the generator wrote it; its id once the model is gone.
        const auto model = context.catalog.find(image.params.model);
        JsonWriter w;
        w.begin_object();
        w.key("infotext");
        w.value(a1111_parameters(image.params, model ? model->info.name : image.params.model));
        w.end_object();
        return json_reply(200, w.take());
      });

  router.add(Method::GET, "/api/v1/images/{id}/file", [&context, &images](http::Request& request) {
    const auto image = images.get(require_user(context, request), request.param("id"));
    if (context.redirect_downloads) {
      if (auto url = images.original_url(image, context.presign_expiry)) {
        http::Response redirect;
        redirect.status = 302;
        redirect.set_header("Location", *url);
        redirect.set_header("Cache-Control", "private, no-store");  // the URL expires
        return redirect;
      }
    }
    auto response = file_response(images.original(image), "image/png", image.sha256);
    response.set_header("Content-Disposition",
                        "inline; filename=\"rendermart-" + image.id + ".png\"");
    return response;
  });

  router.add(Method::GET, "/api/v1/images/{id}/thumbnail",
             [&context, &images](http::Request& request) {
               const auto user = require_user(context, request);
               const int size = thumbnail_size_param(request);
               const auto image = images.get(user, request.param("id"));
               return file_response(images.thumbnail(image, size), "image/webp",
                                    image.sha256 + "-" + std::to_string(size));
             });
}

}  // namespace rendermart::api
