#pragma once

// What the outbound client and its callers need of URLs: whose they are (an origin), and how a
// piece of one is written (percent-encoding).

#include <string>
#include <string_view>

namespace rendermart::net {

// "scheme://host:port" of a URL (lower-cased, the default port written out); empty when the
// URL cannot be parsed.
std::string origin_of(const std::string& url);

// RFC 3986 percent-encoding, as AWS's signatures and the Hub's file paths both want it:
// A-Za-z0-9 - . _ ~ are kept (and '/' when keep_slash: a path), every other byte is %XX with
// upper-case hex.
std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace rendermart::net
