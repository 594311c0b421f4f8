#pragma once

// Where clients reach this service: the origin that same-origin checks compare with, and the
// base of the absolute URLs it hands out. A configured public base URL decides both; without
// one, only a trusted proxy's forwarded headers may say where the client was, and absolute URLs
// never come from a Host header a client chose.

#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/trusted_proxies.hpp"

namespace rendermart::http {

class PublicUrl {
 public:
  // `base`: the public base URL ("https://images.example.com", or with a path prefix), empty
  // for none. Throws Error(invalid_argument) naming `setting` when it is no http(s) URL without
  // query, fragment or credentials.
  PublicUrl(std::string_view base, TrustedProxies proxies, const std::string& setting);
  PublicUrl() = default;

  // scheme://host[:port] as browsers write it in Origin (lower case, no default port): the
  // base's origin; else the scheme and host a trusted proxy forwarded; else the request's own
  // scheme and Host header (which the browser sets to the host it sent the request to).
  std::string origin(const Request& request) const;

  // The base of absolute URLs, without a trailing slash: the configured base; else what a
  // trusted proxy forwarded; else the transport's own address (scheme://local address).
  std::string base(const Request& request) const;

  const TrustedProxies& proxies() const { return proxies_; }

 private:
  struct Forwarded {
    std::string scheme;
    std::string host;
  };
  // The scheme and host a trusted proxy forwarded; empty when the request did not come from one.
  Forwarded forwarded(const Request& request) const;

  std::string base_;    // empty: none configured
  std::string origin_;  // of base_
  TrustedProxies proxies_;
};

// scheme://host[:port] in the form browsers send in Origin: lower case, the default port of the
// scheme left out.
std::string serialize_origin(std::string_view scheme, std::string_view authority);

}  // namespace rendermart::http
