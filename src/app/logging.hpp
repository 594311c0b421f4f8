#pragma once

#include <string>

namespace rendermart {

// Logs go to stderr. format "json": one object per line with ts, level and msg; a message that
// is itself a JSON object (the access log) is a complete record (the access log carries its own ts
// and level) and is written as is.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace rendermart
