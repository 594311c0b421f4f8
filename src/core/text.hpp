#pragma once

// Small text helpers for protocol strings (header names, URL parts, settings): ASCII only.

#include <string>
#include <string_view>

namespace rendermart {

// ASCII letters lower-cased; other bytes unchanged.
std::string ascii_lower(std::string_view text);

// Without leading and trailing spaces, tabs, CR and LF.
std::string trim_space(std::string_view text);

}  // namespace rendermart
