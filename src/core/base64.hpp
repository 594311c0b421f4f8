#pragma once

// Standard base64 (RFC 4648, with padding), as AWS services use it for binary payloads.

#include <optional>
#include <string>
#include <string_view>

namespace rendermart {

std::string encode_base64(std::string_view bytes);
// Nothing when the text is not valid padded base64 (whitespace is not allowed).
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace rendermart
