#pragma once

// EXIF orientation: cameras store pixels as the sensor read them and say in the EXIF
// Orientation tag how to turn them for display. Uploads are turned once, on arrival, so that
// every stored image is upright and carries no metadata.

#include <string_view>

#include "core/domain.hpp"

namespace rendermart {

// The Orientation tag (1..8) of an EXIF block: a TIFF header ("II*\0" or "MM\0*") and its first
// directory, optionally after the "Exif\0\0" prefix that JPEG's APP1 segment and some WebP
// writers put before it. 1 (upright) when the tag is missing or the block is malformed: a
// broken EXIF block must not make a picture unusable.
int exif_orientation(std::string_view exif);

// The image turned as `orientation` says (TIFF 6.0 / EXIF 2.3: 2 mirrors, 3 turns 180 degrees,
// 6 turns 90 degrees clockwise, 8 counter-clockwise, 4, 5 and 7 combine a mirror with those);
// 5 to 8 swap width and height. Any other value leaves the image as it is.
RawImage apply_orientation(const RawImage& image, int orientation);

}  // namespace rendermart
