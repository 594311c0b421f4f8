#include "imaging/mask_blend.hpp"

#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace rendermart {
namespace {

// cv2.GaussianBlur's kernel, as AUTOMATIC1111 sizes it for a mask blur of `sigma` pixels.
std::vector<float> gaussian_kernel(int sigma) {
  const int radius = static_cast<int>(2.5 * sigma + 0.5);
  std::vector<float> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (int k = -radius; k <= radius; ++k) {
    const double w = std::exp(-0.5 * k * k / (static_cast<double>(sigma) * sigma));
    kernel[static_cast<std::size_t>(k + radius)] = static_cast<float>(w);
    sum += w;
  }
  for (auto& w : kernel) w = static_cast<float>(w / sum);
  return kernel;
}

// Mirrors an index into 0..length-1 without repeating the edge pixel (cv2's BORDER_REFLECT_101).
int mirror(int i, int length) {
  if (length == 1) return 0;
  const int period = 2 * (length - 1);
  i = ((i % period) + period) % period;
  return i < length ? i : period - i;
}

// One pass of the separable blur, along rows or along columns.
std::vector<float> blur_pass(const std::vector<float>& plane, int width, int height,
                             const std::vector<float>& kernel, bool along_rows) {
  const int radius = static_cast<int>(kernel.size() / 2);
  std::vector<float> out(plane.size());
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      float sum = 0;
      for (int k = -radius; k <= radius; ++k) {
        const int sx = along_rows ? mirror(x + k, width) : x;
        const int sy = along_rows ? y : mirror(y + k, height);
        sum += kernel[static_cast<std::size_t>(k + radius)] *
               plane[static_cast<std::size_t>(sy) * width + sx];
      }
      out[static_cast<std::size_t>(y) * width + x] = sum;
    }
  }
  return out;
}

void check_size(const RawImage& image, const RawImage& source, const char* what) {
  if (image.width != source.width || image.height != source.height ||
      image.rgb.size() != source.rgb.size()) {
    throw Error(ErrorCode::internal, std::string(what) + " does not match the source's size");
  }
}

std::uint8_t mix(std::uint8_t from, std::uint8_t to, float weight) {
  return static_cast<std::uint8_t>(std::lround(from + (to - from) * weight));
}

}  // namespace

std::vector<float> mask_weights(const RawImage& mask, int blur, bool repaint_white) {
  const std::size_t pixels = static_cast<std::size_t>(mask.width) * mask.height;
  if (mask.rgb.size() != pixels * 3) {
    throw Error(ErrorCode::internal, "the mask's pixels do not match its size");
  }
  std::vector<float> plane(pixels);
  for (std::size_t i = 0; i < pixels; ++i) {
    const float brightness =
        static_cast<float>(mask.rgb[i * 3] + mask.rgb[i * 3 + 1] + mask.rgb[i * 3 + 2]) /
        (3 * 255.0f);
    plane[i] = repaint_white ? brightness : 1 - brightness;
  }
  if (blur <= 0) return plane;
  const auto kernel = gaussian_kernel(blur);
  plane = blur_pass(plane, mask.width, mask.height, kernel, true);
  return blur_pass(plane, mask.width, mask.height, kernel, false);
}

RawImage blend_masked(const RawImage& source, const RawImage& edited,
                      const std::vector<float>& weights) {
  check_size(edited, source, "the edited picture");
  if (weights.size() * 3 != source.rgb.size()) {
    throw Error(ErrorCode::internal, "the mask does not match the source's size");
  }
  RawImage out = source;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    for (std::size_t c = 0; c < 3; ++c) {
      out.rgb[i * 3 + c] = mix(source.rgb[i * 3 + c], edited.rgb[i * 3 + c], weights[i]);
    }
    if (!out.alpha.empty()) out.alpha[i] = mix(source.alpha[i], 255, weights[i]);
  }
  return out;
}

}  // namespace rendermart
