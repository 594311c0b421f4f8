#pragma once

// The headers that tell browsers how to treat this service's responses, added to every response
// by the router (Router::set_finisher).

#include "http/message.hpp"

namespace rendermart::http {

// The web app's Content-Security-Policy: its scripts and styles come from its own files only
// (no inline script; React sets styles through the DOM, which CSP allows), images may also be
// data: (live previews) and blob: (images picked for upload), it talks to this origin only, and
// no other page may frame it.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

// How long browsers keep to HTTPS once told (a year). Subdomains are left out: they may be
// other services.
inline constexpr const char* kStrictTransportSecurity = "max-age=31536000";

struct SecurityHeaders {
  // Sent over HTTPS only (the session cookie is Secure): browsers are told to keep to HTTPS.
  bool https_only = false;

  // On every response: X-Content-Type-Options nosniff, X-Frame-Options DENY, Referrer-Policy
  // no-referrer (image and job ids in URLs stay here); HTML gets the CSP; JSON and anything
  // that sets a cookie get Cache-Control no-store unless the handler chose a Cache-Control
  // (a response that sets a cookie is never stored).
  void operator()(const Request& request, Response& response) const;
};

}  // namespace rendermart::http
