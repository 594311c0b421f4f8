#include "providers/procedural/edits.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "core/error.hpp"

namespace rendermart::procedural {
namespace {

// How far (Euclidean distance in RGB8) a pixel's colour may be from the backdrop's and still
// count as backdrop: tolerates JPEG noise and gentle shading, not a subject of another colour.
constexpr int kBackdropDistance = 48;
// Border colours are counted after dropping their low bits, so near-equal shades vote together.
constexpr int kColourBucketShift = 4;

void check_same_size(const RawImage& a, const RawImage& b, const char* what) {
  if (a.width != b.width || a.height != b.height) {
    throw Error(ErrorCode::internal, std::string(what) + " does not match the source's size");
  }
}

std::uint8_t mix(std::uint8_t from, std::uint8_t to, double weight) {
  return static_cast<std::uint8_t>(std::lround(from + (to - from) * weight));
}

int distance(const std::uint8_t* a, const std::array<int, 3>& b) {
  const int dr = a[0] - b[0];
  const int dg = a[1] - b[1];
  const int db = a[2] - b[2];
  return static_cast<int>(std::lround(std::sqrt(dr * dr + dg * dg + db * db)));
}

// The most common colour bucket along the borders, as the mean colour of its pixels.
std::array<int, 3> backdrop_colour(const RawImage& image) {
  std::map<int, std::array<long, 4>> buckets;  // key -> sum r, g, b, count
  const auto vote = [&](int x, int y) {
    const auto* p = &image.rgb[(static_cast<std::size_t>(y) * image.width + x) * 3];
    const int key = ((p[0] >> kColourBucketShift) << 8) | ((p[1] >> kColourBucketShift) << 4) |
                    (p[2] >> kColourBucketShift);
    auto& b = buckets[key];
    for (int c = 0; c < 3; ++c) b[c] += p[c];
    ++b[3];
  };
  for (int x = 0; x < image.width; ++x) {
    vote(x, 0);
    vote(x, image.height - 1);
  }
  for (int y = 0; y < image.height; ++y) {
    vote(0, y);
    vote(image.width - 1, y);
  }
  const auto best =
      std::max_element(buckets.begin(), buckets.end(),
                       [](const auto& a, const auto& b) { return a.second[3] < b.second[3]; });
  const auto& sum = best->second;
  return {static_cast<int>(sum[0] / sum[3]), static_cast<int>(sum[1] / sum[3]),
          static_cast<int>(sum[2] / sum[3])};
}

}  // namespace

RawImage blend(const RawImage& source, const RawImage& rendering, double strength) {
  check_same_size(source, rendering, "the rendering");
  RawImage out = source;
  for (std::size_t i = 0; i < out.rgb.size(); ++i) {
    out.rgb[i] = mix(source.rgb[i], rendering.rgb[i], strength);
  }
  return out;
}

RawImage remove_background(const RawImage& source) {
  const int w = source.width;
  const int h = source.height;
  const auto backdrop = backdrop_colour(source);
  const auto at = [w](int x, int y) { return static_cast<std::size_t>(y) * w + x; };
  std::vector<std::uint8_t> background(static_cast<std::size_t>(w) * h, 0);
  std::vector<std::pair<int, int>> pending;
  const auto visit = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= w || y >= h || background[at(x, y)]) return;
    if (distance(&source.rgb[at(x, y) * 3], backdrop) > kBackdropDistance) return;
    background[at(x, y)] = 1;
    pending.emplace_back(x, y);
  };
  for (int x = 0; x < w; ++x) {
    visit(x, 0);
    visit(x, h - 1);
  }
  for (int y = 0; y < h; ++y) {
    visit(0, y);
    visit(w - 1, y);
  }
  while (!pending.empty()) {
    const auto [x, y] = pending.back();
    pending.pop_back();
    visit(x + 1, y);
    visit(x - 1, y);
    visit(x, y + 1);
    visit(x, y - 1);
  }

  RawImage out = source;
  out.alpha.assign(background.size(), 255);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (background[at(x, y)]) {
        out.alpha[at(x, y)] = 0;
        continue;
      }
      // A subject pixel beside the backdrop is half transparent: a soft edge, not a jagged one.
      const bool edge =
          (x > 0 && background[at(x - 1, y)]) || (x + 1 < w && background[at(x + 1, y)]) ||
          (y > 0 && background[at(x, y - 1)]) || (y + 1 < h && background[at(x, y + 1)]);
      const std::uint8_t opacity = edge ? 128 : 255;
      out.alpha[at(x, y)] =
          source.alpha.empty() ? opacity : std::min(opacity, source.alpha[at(x, y)]);
    }
  }
  return out;
}

}  // namespace rendermart::procedural
