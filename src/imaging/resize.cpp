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

// One plane of `channels` interleaved bytes a pixel, resampled with the given taps: a horizontal
// pass into floats (source height x target width), then a vertical pass to bytes. Separable
// filtering keeps the cost proportional to the taps of one axis at a time.
std::vector<std::uint8_t> resample(const std::vector<std::uint8_t>& plane, std::size_t channels,
                                   int in_width, int in_height, const std::vector<Taps>& columns,
                                   const std::vector<Taps>& rows) {
  const auto in_w = static_cast<std::size_t>(in_width);
  const auto out_w = columns.size();
  const auto out_h = rows.size();
  const std::size_t out_stride = out_w * channels;
  std::vector<float> mid(static_cast<std::size_t>(in_height) * out_stride);
  for (std::size_t y = 0; y < static_cast<std::size_t>(in_height); ++y) {
    const std::uint8_t* src = plane.data() + y * in_w * channels;
    float* dst = mid.data() + y * out_stride;
    for (std::size_t x = 0; x < out_w; ++x) {
      const auto& t = columns[x];
      const std::uint8_t* p = src + static_cast<std::size_t>(t.first) * channels;
      for (std::size_t c = 0; c < channels; ++c) {
        float sum = 0;
        for (std::size_t k = 0; k < t.weights.size(); ++k)
          sum += t.weights[k] * p[k * channels + c];
        dst[x * channels + c] = sum;
      }
    }
  }

  std::vector<std::uint8_t> out(out_stride * out_h);
  std::vector<float> acc(out_stride);
  for (std::size_t y = 0; y < out_h; ++y) {
    const auto& t = rows[y];
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (std::size_t k = 0; k < t.weights.size(); ++k) {
      const float w = t.weights[k];
      const float* src = mid.data() + (static_cast<std::size_t>(t.first) + k) * out_stride;
      for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += w * src[i];
    }
    std::uint8_t* dst = out.data() + y * out_stride;
    for (std::size_t i = 0; i < acc.size(); ++i) {
      dst[i] = static_cast<std::uint8_t>(std::clamp(acc[i] + 0.5f, 0.0f, 255.0f));
    }
  }
  return out;
}

}  // namespace

void validate_raw_image(const RawImage& image) {
  if (image.width <= 0 || image.height <= 0) {
    throw invalid_argument("image", "image has no pixels");
  }
  const auto expected =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3;
  if (image.rgb.size() != expected) {
    throw invalid_argument("image", "image buffer does not match its width and height");
  }
  if (!image.alpha.empty() && image.alpha.size() != expected / 3) {
    throw invalid_argument("image", "alpha plane does not match the image's width and height");
  }
}

std::vector<std::uint8_t> interleave_rgba(const RawImage& image) {
  validate_raw_image(image);
  const std::size_t pixel_count = image.rgb.size() / 3;
  std::vector<std::uint8_t> rgba(pixel_count * 4);
  for (std::size_t i = 0; i < pixel_count; ++i) {
    rgba[i * 4] = image.rgb[i * 3];
    rgba[i * 4 + 1] = image.rgb[i * 3 + 1];
    rgba[i * 4 + 2] = image.rgb[i * 3 + 2];
    rgba[i * 4 + 3] = image.alpha.empty() ? 255 : image.alpha[i];
  }
  return rgba;
}

RawImage resize(const RawImage& image, int width, int height) {
  validate_raw_image(image);
  if (width <= 0 || height <= 0) throw invalid_argument("image", "target size must be positive");
  if (width == image.width && height == image.height) return image;

  const auto columns = taps_for(image.width, width);
  const auto rows = taps_for(image.height, height);
  RawImage out;
  out.width = width;
  out.height = height;
  out.rgb = resample(image.rgb, 3, image.width, image.height, columns, rows);
  if (!image.alpha.empty()) {
    out.alpha = resample(image.alpha, 1, image.width, image.height, columns, rows);
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
