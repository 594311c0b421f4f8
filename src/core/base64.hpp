#pragma once

// Standard base64 (RFC 4648 section 4, with padding): how JSON APIs carry images.

#include <optional>
#include <string>
#include <string_view>

namespace rendermart {

std::string base64_encode(std::string_view bytes);
// Nothing when the text is not padded standard base64 (whitespace included).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace rendermart
