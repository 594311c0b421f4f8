#pragma once

#include <cstdint>
#include <string>

#include "core/domain.hpp"

namespace rendermart {

Millis now_millis();

// A 26-character, time-ordered identifier (48-bit millisecond time + 80 random bits, Crockford
// base32, as ULID). Sorting ids sorts by creation time, so one id is a complete keyset cursor.
std::string new_id();

// `bytes` random bytes from the OS CSPRNG, as lowercase hex or base64url.
std::string random_hex(std::size_t bytes);
std::string random_token(std::size_t bytes);

std::string sha256_hex(std::string_view data);

// Standard base64 with padding (RFC 4648 section 4), as data URLs carry it.
std::string to_base64(std::string_view data);

// Opaque cursors for keyset pagination: base64url of the last item's id.
std::string encode_cursor(const std::string& id);
// Throws Error(invalid_argument, field "cursor") when the text is not a cursor this server made.
std::string decode_cursor(const std::string& cursor);

}  // namespace rendermart
