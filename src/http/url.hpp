#pragma once

// Percent-decoding of request targets, shared by the HTTP server and the Lambda runtime.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rendermart::http {

// Decodes %XX escapes; with plus_as_space, '+' becomes ' ' (query strings only: in paths '+' is
// a literal plus). Nothing when an escape is malformed (not '%' and two hex digits).
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

// Parses "a=1&b=x+y&c" into {a: 1, b: "x y", c: ""}; empty pieces are skipped.
// Throws Error(invalid_argument, field "query") on a malformed escape.
std::multimap<std::string, std::string> parse_query(std::string_view query);

}  // namespace rendermart::http
