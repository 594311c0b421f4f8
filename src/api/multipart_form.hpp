#pragma once

// multipart/form-data (RFC 7578): what browsers' forms and HTTP clients send files in.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rendermart::api {

struct FormPart {
  std::string name;                     // the field's name
  std::optional<std::string> filename;  // set for a file
  std::string content_type;             // the part's media type; empty when not given
  std::string_view data;                // a view into the request body
};

// The parts of a multipart/form-data body, in order; `content_type` is the request's
// Content-Type, which names the boundary. Throws Error(invalid_argument, field "body") for a
// missing boundary, a part without a name, or a body that does not end with the closing
// boundary (a truncated upload).
std::vector<FormPart> parse_multipart_form(std::string_view content_type, std::string_view body);

}  // namespace rendermart::api
