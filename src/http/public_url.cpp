#include "http/public_url.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

namespace rendermart::http {
namespace {

// The first of a comma-separated header value (proxies in a chain append theirs after it).
std::string first_item(std::string_view value) {
  return trim_space(value.substr(0, value.find(',')));
}

}  // namespace

std::string serialize_origin(std::string_view scheme, std::string_view authority) {
  auto host = ascii_lower(authority);
  const auto scheme_lower = ascii_lower(scheme);
  const std::string default_port = scheme_lower == "https" ? ":443" : ":80";
  // A bracketed IPv6 address ends in ']', so a suffix ":443" is always a port.
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return scheme_lower + "://" + host;
}

PublicUrl::PublicUrl(std::string_view base, TrustedProxies proxies, const std::string& setting)
    : proxies_(std::move(proxies)) {
  if (base.empty()) return;
  const auto refuse = [&](const std::string& why) {
    return invalid_argument(setting, setting +
                                         " must be an http(s) URL such as "
                                         "https://images.example.com: " +
                                         why);
  };
  const auto scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos) throw refuse("it has no scheme");
  const auto scheme = ascii_lower(base.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") throw refuse("the scheme is not http or https");
  const auto rest = base.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    throw refuse("it has a query or fragment");
  }
  const auto authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) throw refuse("it has no host");
  if (authority.find('@') != std::string_view::npos) throw refuse("it has credentials");
  auto path = std::string(rest.substr(authority.size()));
  while (!path.empty() && path.back() == '/') path.pop_back();
  origin_ = serialize_origin(scheme, authority);
  base_ = origin_ + path;
}

PublicUrl::Forwarded PublicUrl::forwarded(const Request& request) const {
  if (!proxies_.forwarded(request)) return {};
  auto scheme = ascii_lower(first_item(request.header("x-forwarded-proto").value_or("")));
  if (scheme != "http" && scheme != "https") scheme = request.scheme;
  auto host = first_item(request.header("x-forwarded-host").value_or(""));
  if (host.empty()) host = request.header("host").value_or("");
  if (host.empty()) return {};
  return {scheme, host};
}

std::string PublicUrl::origin(const Request& request) const {
  if (!origin_.empty()) return origin_;
  if (const auto via_proxy = forwarded(request); !via_proxy.host.empty()) {
    return serialize_origin(via_proxy.scheme, via_proxy.host);
  }
  return serialize_origin(request.scheme, request.header("host").value_or(request.local_address));
}

std::string PublicUrl::base(const Request& request) const {
  if (!base_.empty()) return base_;
  if (const auto via_proxy = forwarded(request); !via_proxy.host.empty()) {
    return serialize_origin(via_proxy.scheme, via_proxy.host);
  }
  return serialize_origin(request.scheme, request.local_address);
}

}  // namespace rendermart::http
