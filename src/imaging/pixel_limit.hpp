#pragma once

// The one check of a decoded image's size, made from its header before its pixels exist, so
// that a small file that claims a huge picture (a decompression bomb) is refused cheaply.

#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace rendermart {

// Throws Error(payload_too_large, field "file") when width x height is over max_pixels, and
// Error(invalid_argument, field "file") when a side is not positive.
inline void check_pixel_count(std::int64_t width, std::int64_t height, std::int64_t max_pixels) {
  if (width <= 0 || height <= 0) {
    throw invalid_argument("file", "the image file says it has no pixels");
  }
  if (width * height > max_pixels) {
    throw Error(ErrorCode::payload_too_large,
                "the image is " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels, over the limit of " + std::to_string(max_pixels) +
                    " pixels: scale it down and upload it again",
                "file");
  }
}

}  // namespace rendermart
