#include "imaging/canvas.hpp"

#include <algorithm>
#include <cstdint>

#include "core/error.hpp"
#include "imaging/resize.hpp"

namespace rendermart {

ExtendedCanvas extend_canvas(const RawImage& image, const Margins& margins) {
  validate_raw_image(image);
  if (margins.left < 0 || margins.right < 0 || margins.top < 0 || margins.bottom < 0) {
    throw invalid_argument("outpaint", "outpaint margins must not be negative");
  }
  const int width = image.width + margins.left + margins.right;
  const int height = image.height + margins.top + margins.bottom;
  const auto pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  ExtendedCanvas out;
  out.image = RawImage{width, height, std::vector<std::uint8_t>(pixels * 3), {}};
  if (!image.alpha.empty()) out.image.alpha.resize(pixels);
  out.mask = RawImage{width, height, std::vector<std::uint8_t>(pixels * 3, 0), {}};
  for (int y = 0; y < height; ++y) {
    const int sy = std::clamp(y - margins.top, 0, image.height - 1);
    const bool inside_rows = y >= margins.top && y < margins.top + image.height;
    for (int x = 0; x < width; ++x) {
      const int sx = std::clamp(x - margins.left, 0, image.width - 1);
      const std::size_t to = static_cast<std::size_t>(y) * width + x;
      const std::size_t from = static_cast<std::size_t>(sy) * image.width + sx;
      std::copy_n(&image.rgb[from * 3], 3, &out.image.rgb[to * 3]);
      if (!image.alpha.empty()) out.image.alpha[to] = image.alpha[from];
      if (inside_rows && x >= margins.left && x < margins.left + image.width) {
        std::fill_n(&out.mask.rgb[to * 3], 3, std::uint8_t{255});
      }
    }
  }
  return out;
}

}  // namespace rendermart
