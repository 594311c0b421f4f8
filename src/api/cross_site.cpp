#include "api/cross_site.hpp"

#include "api/authentication.hpp"
#include "core/error.hpp"
#include "http/media_type.hpp"

namespace rendermart::api {
namespace {

bool changes_state(http::Method method) {
  return method == http::Method::POST || method == http::Method::PUT ||
         method == http::Method::PATCH || method == http::Method::DELETE_;
}

constexpr const char* kProgramsHint =
    "; programs should send an API key as 'Authorization: Bearer <key>' instead of the cookie";

// An upload's body is the picture, or a form holding it: nothing else can carry a file. The
// origin check above (a form posted from another site carries its Origin) is what protects it.
bool is_upload(const http::Request& request) {
  return request.method == http::Method::POST &&
         (request.path == "/api/v1/images" || request.path == "/v1/images/edits" ||
          request.path == "/v1/images/variations");
}

bool is_picture_or_form(const std::string& type) {
  return type == "multipart/form-data" || type == "image/png" || type == "image/jpeg" ||
         type == "image/webp";
}

}  // namespace

void refuse_cross_site(const http::PublicUrl& public_url, const http::Request& request) {
  if (!changes_state(request.method) || request.header("authorization")) return;
  const bool signed_in = !session_token(request).empty();
  const auto expected = public_url.origin(request);

  if (const auto origin = request.header("origin")) {
    if (*origin != expected) {
      throw Error(ErrorCode::cross_site_request,
                  "cross-site request refused: it came from a page at '" + *origin +
                      "', and only pages of " + expected + " may send it" + kProgramsHint);
    }
  } else if (const auto site = request.header("sec-fetch-site")) {
    if (*site != "same-origin" && *site != "none") {
      throw Error(ErrorCode::cross_site_request,
                  "cross-site request refused: the browser says it came from a " + *site +
                      " page, and only pages of " + expected + " may send it" + kProgramsHint);
    }
  } else if (signed_in) {
    throw Error(ErrorCode::cross_site_request,
                "cross-site request refused: a request signed in with the session cookie must "
                "carry an Origin header (browsers send it) equal to " +
                    expected + kProgramsHint);
  }

  if (!signed_in) return;
  const auto content_type = request.header("content-type");
  const auto type = http::media_type(content_type.value_or(""));
  if ((content_type || !request.body.empty()) && type != "application/json" &&
      !(is_upload(request) && is_picture_or_form(type))) {
    throw Error(ErrorCode::unsupported_media_type,
                "send the body as Content-Type: application/json (requests signed in with the "
                "session cookie may carry no other)");
  }
}

}  // namespace rendermart::api
