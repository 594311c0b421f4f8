#pragma once

// A picture a user uploads: PNG, JPEG or WebP, checked before it is decoded, turned upright as
// its EXIF orientation says, and reduced to its pixels (every other piece of metadata is left
// behind: the stored original is a new PNG made from them).

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/domain.hpp"

namespace rendermart {

enum class ImageFormat { png, jpeg, webp };

const char* media_type(ImageFormat format);
// The format the file's first bytes announce (its signature), whatever its name or declared type.
std::optional<ImageFormat> sniff_image_format(std::string_view bytes);

// The upright pixels of an uploaded file, with its alpha plane when it has transparency. The
// file's own header gives its size first: over max_pixels throws Error(payload_too_large, field
// "file") before any pixel is allocated. Throws Error(invalid_argument, field "file") for an
// empty file, a format other than PNG, JPEG or WebP, and a truncated or corrupt file.
RawImage decode_uploaded_image(std::string_view bytes, std::int64_t max_pixels);

// A mask (white: repaint, black: keep) from a picture's transparency, as OpenAI's image edits
// take one: fully transparent pixels become white, opaque ones black, partial ones grey. Nothing
// when the picture has no transparent pixel.
std::optional<RawImage> mask_from_transparency(const RawImage& image);

}  // namespace rendermart
