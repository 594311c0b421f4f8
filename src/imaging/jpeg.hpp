#pragma once

// JPEG input: photos that users upload; and output for clients that ask for JPEG (the
// OpenAI-compatible API's output_format). Every stored image is a PNG.

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

// Baseline JPEG of an RGB8 image (any alpha is ignored) at `quality` 0..100. Throws
// Error(invalid_argument, field "quality") for a quality outside it.
std::string encode_jpeg(const RawImage& image, int quality);

}  // namespace rendermart
