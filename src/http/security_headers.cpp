#include "http/security_headers.hpp"

#include "http/media_type.hpp"

namespace rendermart::http {

void SecurityHeaders::operator()(const Request&, Response& response) const {
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Referrer-Policy", "no-referrer");
  const auto type = media_type(response.header("content-type").value_or(""));
  if (type == "text/html") response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  if (response.header("set-cookie") ||
      (type == "application/json" && !response.header("cache-control"))) {
    response.set_header("Cache-Control", "no-store");
  }
  if (https_only) response.set_header("Strict-Transport-Security", kStrictTransportSecurity);
}

}  // namespace rendermart::http
