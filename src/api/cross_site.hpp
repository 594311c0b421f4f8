#pragma once

// Protection against cross-site request forgery. A browser attaches the session cookie to
// requests that any page makes to this service (SameSite=Lax still lets sibling hosts and other
// ports of the same host, which count as the same site, send them). So an unsafe request
// (POST, PUT, PATCH, DELETE) signed in with the cookie must show that it came from this
// service's own pages:
// - Origin, which browsers send with every such request from a page, must be this service's
//   origin (http::PublicUrl::origin); without Origin, Sec-Fetch-Site must be same-origin or
//   none (typed by the user); a request with neither header is refused.
// - A body must be Content-Type application/json (the parsed media type): a page can send a
//   form or text/plain to another origin without asking, but not JSON. Bodiless requests
//   (cancel, logout, delete) need no Content-Type: the origin check is what protects them. An
//   upload (POST /api/v1/images, and the OpenAI-style /v1/images/edits and variations) may
//   also send multipart/form-data or the picture itself (image/png, image/jpeg, image/webp):
//   the origin check alone protects it.
// Requests with an API key (Authorization: Bearer) are not affected: browsers never add that
// header on their own. Requests without either credential (sign-in, sign-up) are refused only
// when the browser says they came from another origin, so programs can still sign in.

#include "http/message.hpp"
#include "http/public_url.hpp"

namespace rendermart::api {

// Throws Error(cross_site_request) (403) when the request may have been forged by another site,
// Error(unsupported_media_type) (415) when a cookie-signed-in request's body is not JSON.
void refuse_cross_site(const http::PublicUrl& public_url, const http::Request& request);

}  // namespace rendermart::api
