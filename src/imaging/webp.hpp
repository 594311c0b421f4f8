#pragma once

// WebP output: the thumbnails the web app lists (lossy WebP is a fraction of PNG's size).

#include <string>

#include "core/domain.hpp"

namespace rendermart {

// Lossy WebP at quality 0..100, with the alpha plane when the image has one. Throws
// Error(invalid_argument) for a malformed image, a side over WebP's limit of 16383 or a quality out
// of range.
std::string encode_webp(const RawImage& image, int quality);

// resize_to_fit(image, max_side) encoded as WebP at quality 80.
std::string make_thumbnail(const RawImage& image, int max_side);

}  // namespace rendermart
