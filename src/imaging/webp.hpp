#pragma once

// WebP output: the thumbnails the web app lists (lossy WebP is a fraction of PNG's size); WebP
// input: pictures that users upload.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/domain.hpp"

namespace rendermart {

// Lossy WebP at quality 0..100, with the alpha plane when the image has one. Throws
// Error(invalid_argument) for a malformed image, a side over WebP's limit of 16383 or a quality out
// of range.
std::string encode_webp(const RawImage& image, int quality);

// resize_to_fit(image, max_side) encoded as WebP at quality 80, with less search for the
// smallest file than encode_webp (libwebp's method 2 instead of 4): about 2.5x faster.
std::string make_thumbnail(const RawImage& image, int max_side);

struct DecodedWebp {
  RawImage image;    // RGB8, with the alpha plane when the file has transparency
  std::string exif;  // the EXIF chunk of an extended file; empty when there is none
};

// Decodes a lossy, lossless or extended WebP (the first frame of an animation). The size is
// read from the header first: an image over max_pixels throws Error(payload_too_large) before any
// pixel is allocated. Throws Error(invalid_argument, field "file") for anything that is not a
// whole, valid WebP.
DecodedWebp decode_webp(std::string_view bytes, std::int64_t max_pixels);

}  // namespace rendermart
