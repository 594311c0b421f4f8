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

// Catmull-Rom cubic (Keys' a = -0.5), pixel centres aligned as bilinear_taps does: it keeps edges
// sharp where bilinear blurs them, with little ringing. Taps past the border are folded onto the
// border pixel.
std::vector<Taps> cubic_taps(int source, int target) {
  const auto cubic = [](double d) {
    d = std::abs(d);
    if (d < 1) return 1.5 * d * d * d - 2.5 * d * d + 1;
    if (d < 2) return -0.5 * d * d * d + 2.5 * d * d - 4 * d + 2;
    return 0.0;
  };
  const double scale = static_cast<double>(source) / target;
  std::vector<Taps> taps(static_cast<std::size_t>(target));
  for (int i = 0; i < target; ++i) {
    const double x = (i + 0.5) * scale - 0.5;
    const int x0 = static_cast<int>(std::floor(x));
    const int first = std::clamp(x0 - 1, 0, source - 1);
    const int last = std::clamp(x0 + 2, 0, source - 1);
    auto& t = taps[static_cast<std::size_t>(i)];
    t.first = first;
    t.weights.assign(static_cast<std::size_t>(last - first + 1), 0.0f);
    for (int k = x0 - 1; k <= x0 + 2; ++k) {
      const int s = std::clamp(k, first, last);
      t.weights[static_cast<std::size_t>(s - first)] += static_cast<float>(cubic(x - k));
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

// The image (and its alpha plane) resampled to as many columns and rows as there are taps.
RawImage resample_image(const RawImage& image, const std::vector<Taps>& columns,
                        const std::vector<Taps>& rows) {
  RawImage out;
  out.width = static_cast<int>(columns.size());
  out.height = static_cast<int>(rows.size());
  out.rgb = resample(image.rgb, 3, image.width, image.height, columns, rows);
  if (!image.alpha.empty()) {
    out.alpha = resample(image.alpha, 1, image.width, image.height, columns, rows);
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

  return resample_image(image, taps_for(image.width, width), taps_for(image.height, height));
}

RawImage enlarge(const RawImage& image, int factor) {
  validate_raw_image(image);
  if (factor < 1) throw invalid_argument("factor", "factor must be at least 1");
  return resample_image(image, cubic_taps(image.width, image.width * factor),
                        cubic_taps(image.height, image.height * factor));
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
