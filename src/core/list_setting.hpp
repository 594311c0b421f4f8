#pragma once

// Settings that hold lists ("a, b, c").

#include <string>
#include <string_view>
#include <vector>

namespace rendermart {

// The items of a list separated by `separator`, without surrounding spaces; empty items are
// dropped.
std::vector<std::string> split_list(std::string_view text, char separator = ',');

}  // namespace rendermart
