#pragma once

#include <optional>
#include <string>

#include "core/domain.hpp"

namespace rendermart {

// "2026-11-25T20:15:00.123Z"
std::string format_iso8601(Millis millis);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z" or "+HH:MM"/"-HH:MM"
// (a date-time without an offset is UTC). Nothing for anything else.
std::optional<Millis> parse_iso8601(const std::string& text);

}  // namespace rendermart
