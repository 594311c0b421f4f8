#pragma once

// Resampling of RGB8 images (with their alpha plane): thumbnails, and fitting img2img inputs to a
// requested size.

#include <cstdint>
#include <vector>

#include "core/domain.hpp"

namespace rendermart {

// Throws Error(invalid_argument, field "image") unless the size is positive, rgb holds exactly
// width * height * 3 bytes and alpha is empty or holds width * height bytes. Every imaging entry
// point calls it first, so a malformed RawImage never reaches a C library.
void validate_raw_image(const RawImage& image);

// The pixels as RGBA8, interleaved (alpha 255 where the image has no alpha plane).
std::vector<std::uint8_t> interleave_rgba(const RawImage& image);

// Resamples to exactly width x height (the alpha plane too, when there is one): area averaging (box
// filter) along an axis that shrinks, so that no source pixel is skipped and thumbnails do not
// alias; bilinear along an axis that grows.
RawImage resize(const RawImage& image, int width, int height);

// Enlarges `factor` times on each side with a Catmull-Rom cubic filter (the alpha plane too):
// sharper than resize's bilinear enlargement, for upscaling.
RawImage enlarge(const RawImage& image, int factor);

// Scales down, keeping the aspect ratio, so that neither side exceeds max_side; an image that
// already fits is returned unchanged (a copy): this never enlarges.
RawImage resize_to_fit(const RawImage& image, int max_side);

}  // namespace rendermart
