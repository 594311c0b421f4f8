#pragma once

#include <string>
#include <string_view>

namespace rendermart::http {

// The media type of a Content-Type value, lower case, without parameters or spaces:
// "Application/JSON; charset=utf-8" -> "application/json", "text/plain; a=json" -> "text/plain".
std::string media_type(std::string_view content_type);

}  // namespace rendermart::http
