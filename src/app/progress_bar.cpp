#include "app/progress_bar.hpp"

#include <algorithm>
#include <cstdio>

namespace rendermart {

void draw_progress(double fraction, const std::string& detail) {
  constexpr int kWidth = 40;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth + 0.5);
  // "\x1b[K" erases what a longer earlier line left.
  std::fprintf(stderr, "\r[%s%s] %3d%% %s\x1b[K",
               std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(),
               static_cast<int>(fraction * 100 + 0.5), detail.c_str());
  std::fflush(stderr);
}

void end_progress() { std::fputc('\n', stderr); }

}  // namespace rendermart
