#pragma once

// PNG: the format of every original image. Generation parameters travel inside the file as text
// chunks, so a downloaded image still says how it was made.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/domain.hpp"

namespace rendermart {

// (keyword, value) pairs, both UTF-8.
using TextChunks = std::vector<std::pair<std::string, std::string>>;

// Encodes an RGB8 PNG (RGBA8 when the image has an alpha plane) carrying `text_chunks` before the
// image data. A value that Latin-1 can hold goes in a tEXt chunk (what every reader understands);
// any other value goes in an iTXt chunk, which is UTF-8, so prompts in any script survive. A
// keyword must be 1..79 printable Latin-1 characters without leading, trailing or double spaces
// (the PNG rule). Throws Error(invalid_argument) for a malformed image or chunk.
std::string encode_png(const RawImage& image, const TextChunks& text_chunks);

struct DecodedPng {
  RawImage image;
  TextChunks text;  // tEXt, zTXt and iTXt chunks in file order, converted to UTF-8
};

// What decoding does with transparency.
enum class PngAlpha {
  compose_over_white,  // an opaque image: what a viewer on a white page shows
  keep,                // the colours as stored, and an alpha plane when the PNG has transparency
};

// Decodes any PNG (palette, grey, 16-bit, interlaced) to RGB8, with transparency as `transparency`
// says. Throws Error(invalid_argument, field "image") for anything that is not a whole, valid PNG.
DecodedPng decode_png(std::string_view bytes, PngAlpha transparency = PngAlpha::compose_over_white);

}  // namespace rendermart
