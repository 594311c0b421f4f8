#pragma once

// JPEG input: photos that users upload. Never written: every stored image is a PNG.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/domain.hpp"

namespace rendermart {

struct DecodedJpeg {
  RawImage image;    // RGB8, as stored (not yet turned by its EXIF orientation)
  std::string exif;  // the APP1 "Exif" segment's payload; empty when there is none
};

// Decodes a baseline or progressive JPEG (grey, YCbCr, CMYK/YCCK through libjpeg's colour
// conversion) to RGB8. The size is read from the header first: an image over max_pixels throws
// Error(payload_too_large) before any pixel is allocated. Throws Error(invalid_argument, field
// "file") for anything that is not a whole, valid JPEG.
DecodedJpeg decode_jpeg(std::string_view bytes, std::int64_t max_pixels);

}  // namespace rendermart
