#include <charconv>

#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"

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
