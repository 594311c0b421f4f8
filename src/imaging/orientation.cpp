#include "imaging/orientation.hpp"

#include <cstdint>

#include "imaging/resize.hpp"

namespace rendermart {
namespace {

constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kShortType = 3;
constexpr std::string_view kExifPrefix{"Exif\0\0", 6};

// Reads the TIFF's integers in its own byte order; every read is bounds-checked by the caller.
struct TiffReader {
  std::string_view bytes;
  bool little_endian = true;

  std::uint32_t read(std::size_t offset, int size) const {
    std::uint32_t value = 0;
    for (int i = 0; i < size; ++i) {
      const auto byte = static_cast<std::uint8_t>(bytes[offset + i]);
      const int shift = little_endian ? 8 * i : 8 * (size - 1 - i);
      value |= std::uint32_t{byte} << shift;
    }
    return value;
  }
};

}  // namespace

int exif_orientation(std::string_view exif) {
  if (exif.substr(0, kExifPrefix.size()) == kExifPrefix) exif.remove_prefix(kExifPrefix.size());
  if (exif.size() < 8) return 1;
  TiffReader tiff{exif};
  if (exif.substr(0, 4) == std::string_view("II*\0", 4)) {
    tiff.little_endian = true;
  } else if (exif.substr(0, 4) == std::string_view("MM\0*", 4)) {
    tiff.little_endian = false;
  } else {
    return 1;
  }
  const std::size_t directory = tiff.read(4, 4);
  if (directory > exif.size() || exif.size() - directory < 2) return 1;
  const std::size_t entries = tiff.read(directory, 2);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t entry = directory + 2 + 12 * i;
    if (entry + 12 > exif.size()) return 1;
    if (tiff.read(entry, 2) != kOrientationTag) continue;
    if (tiff.read(entry + 2, 2) != kShortType) return 1;
    const auto value = static_cast<int>(tiff.read(entry + 8, 2));
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

RawImage apply_orientation(const RawImage& image, int orientation) {
  validate_raw_image(image);
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width;
  const int h = image.height;
  const bool swaps = orientation >= 5;
  RawImage out;
  out.width = swaps ? h : w;
  out.height = swaps ? w : h;
  out.rgb.resize(image.rgb.size());
  if (!image.alpha.empty()) out.alpha.resize(image.alpha.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // The source pixel that lands at (x, y) once the picture is turned upright.
      int sx = x;
      int sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4: sy = h - 1 - y; break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        default:
          sx = w - 1 - y;
          sy = x;
          break;  // 8
      }
      const std::size_t from = static_cast<std::size_t>(sy) * w + sx;
      const std::size_t to = static_cast<std::size_t>(y) * out.width + x;
      for (int c = 0; c < 3; ++c) out.rgb[to * 3 + c] = image.rgb[from * 3 + c];
      if (!image.alpha.empty()) out.alpha[to] = image.alpha[from];
    }
  }
  return out;
}

}  // namespace rendermart
