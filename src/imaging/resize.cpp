#include "imaging/resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"

namespace rendermart {

namespace {

// The source pixels that make up one output pixel along one axis, with weights summing to 1.
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

// Box filter: output pixel i covers the source interval [i * scale, (i + 1) * scale); each source
// pixel is weighted by how much of it lies inside.
std::vector<Taps> box_taps(int source, int target) {
  const double scale = static_cast<double>(source) / target;
  std::vector<Taps> taps(static_cast<std::size_t>(target));
  for (int i = 0; i < target; ++i) {
    const double begin = i * scale;
    const double end = std::min(static_cast<double>(source), (i + 1) * scale);
    const int first = static_cast<int>(begin);
    const int last = std::min(source - 1, static_cast<int>(std::ceil(end)) - 1);
    auto& t = taps[static_cast<std::size_t>(i)];
    t.first = first;
    for (int s = first; s <= last; ++s) {
      const double covered = std::min(end, s + 1.0) - std::max(begin, static_cast<double>(s));
      t.weights.push_back(static_cast<float>(covered / scale));
    }
  }
  return taps;
}

// Bilinear: pixel centres are aligned (half-pixel convention) so that the image does not shift.
std::vector<Taps> bilinear_taps(int source, int target) {
  const double scale = static_cast<double>(source) / target;
  std::vector<Taps> taps(static_cast<std::size_t>(target));
  for (int i = 0; i < target; ++i) {
    const double x = std::clamp((i + 0.5) * scale - 0.5, 0.0, source - 1.0);
    const int x0 = std::min(static_cast<int>(x), source - 1);
    const float f = static_cast<float>(x - x0);
    auto& t = taps[static_cast<std::size_t>(i)];
    t.first = x0;
    if (x0 + 1 < source && f > 0) {
      t.weights = {1 - f, f};
    } else {
      t.weights = {1};
    }
  }
  return taps;
}

std::vector<Taps> taps_for(int source, int target) {
  return target < source ? box_taps(source, target) : bilinear_taps(source, target);
}

}  // namespace

void validate_raw_image(const RawImage& image) {
  if (image.width <= 0 || image.height <= 0) {
    throw invalid_argument("image", "image has no pixels");
  }
  const auto expected = static_cast<std::size_t>(image.width) *
                        static_cast<std::size_t>(image.height) * 3;
  if (image.rgb.size() != expected) {
    throw invalid_argument("image", "image buffer does not match its width and height");
  }
}

RawImage resize(const RawImage& image, int width, int height) {
  validate_raw_image(image);
  if (width <= 0 || height <= 0) throw invalid_argument("image", "target size must be positive");
  if (width == image.width && height == image.height) return image;

  const auto columns = taps_for(image.width, width);
  const auto rows = taps_for(image.height, height);
  const auto in_w = static_cast<std::size_t>(image.width);
  const auto out_w = static_cast<std::size_t>(width);

  // Horizontal pass into floats (source height x target width), then vertical pass to bytes:
  // separable filtering keeps the cost proportional to the taps of one axis at a time.
  std::vector<float> mid(static_cast<std::size_t>(image.height) * out_w * 3);
  for (std::size_t y = 0; y < static_cast<std::size_t>(image.height); ++y) {
    const std::uint8_t* src = image.rgb.data() + y * in_w * 3;
    float* dst = mid.data() + y * out_w * 3;
    for (std::size_t x = 0; x < out_w; ++x) {
      const auto& t = columns[x];
      float r = 0, g = 0, b = 0;
      const std::uint8_t* p = src + static_cast<std::size_t>(t.first) * 3;
      for (float w : t.weights) {
        r += w * p[0];
        g += w * p[1];
        b += w * p[2];
        p += 3;
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }

  RawImage out;
  out.width = width;
  out.height = height;
  out.rgb.resize(out_w * static_cast<std::size_t>(height) * 3);
  std::vector<float> acc(out_w * 3);
  for (std::size_t y = 0; y < static_cast<std::size_t>(height); ++y) {
    const auto& t = rows[y];
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (std::size_t k = 0; k < t.weights.size(); ++k) {
      const float w = t.weights[k];
      const float* src = mid.data() + (static_cast<std::size_t>(t.first) + k) * out_w * 3;
      for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += w * src[i];
    }
    std::uint8_t* dst = out.rgb.data() + y * out_w * 3;
    for (std::size_t i = 0; i < acc.size(); ++i) {
      dst[i] = static_cast<std::uint8_t>(std::clamp(acc[i] + 0.5f, 0.0f, 255.0f));
    }
  }
  return out;
}

RawImage resize_to_fit(const RawImage& image, int max_side) {
  validate_raw_image(image);
  if (max_side <= 0) throw invalid_argument("max_side", "max_side must be positive");
  const int longest = std::max(image.width, image.height);
  if (longest <= max_side) return image;
  const double scale = static_cast<double>(max_side) / longest;
  const int width = std::max(1, static_cast<int>(std::lround(image.width * scale)));
  const int height = std::max(1, static_cast<int>(std::lround(image.height * scale)));
  return resize(image, std::min(width, max_side), std::min(height, max_side));
}

}  // namespace rendermart
