#include "imaging/webp.hpp"

#include <webp/encode.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "imaging/resize.hpp"

namespace rendermart {

namespace {

// WebP's format stores each side in 14 bits.
constexpr int max_webp_side = 16383;

// Quality 80 is where lossy WebP artefacts stop being visible at thumbnail size while the file
// stays a few kilobytes.
constexpr int thumbnail_quality = 80;

}  // namespace

std::string encode_webp(const RawImage& image, int quality) {
  validate_raw_image(image);
  if (image.width > max_webp_side || image.height > max_webp_side) {
    throw invalid_argument("image", "image is too large for WebP");
  }
  if (quality < 0 || quality > 100) throw invalid_argument("quality", "quality must be 0..100");

  std::uint8_t* output = nullptr;
  std::size_t size = 0;
  if (image.alpha.empty()) {
    size = WebPEncodeRGB(image.rgb.data(), image.width, image.height, image.width * 3,
                         static_cast<float>(quality), &output);
  } else {
    const auto rgba = interleave_rgba(image);
    size = WebPEncodeRGBA(rgba.data(), image.width, image.height, image.width * 4,
                          static_cast<float>(quality), &output);
  }
  const std::unique_ptr<std::uint8_t, decltype(&WebPFree)> owned(output, &WebPFree);
  if (size == 0) throw Error(ErrorCode::internal, "WebP encoding failed");
  return std::string(reinterpret_cast<const char*>(output), size);
}

std::string make_thumbnail(const RawImage& image, int max_side) {
  return encode_webp(resize_to_fit(image, max_side), thumbnail_quality);
}

}  // namespace rendermart
