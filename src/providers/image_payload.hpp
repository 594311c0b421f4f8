#pragma once

// Images as JSON image APIs (Bedrock, OpenAI) carry them: base64 PNG.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/domain.hpp"

namespace rendermart {

// The image as base64 of a PNG without metadata.
std::string png_base64(const RawImage& image);

// An input the task needs (`what`: "source", "mask", "style"), which the worker has loaded;
// throws Error(internal) when it has not.
const RawImage& required_input(const std::optional<RawImage>& image, const char* what);

// Decodes a PNG that a provider returned, keeping transparency (an alpha plane that is opaque
// everywhere is dropped). Throws Error(provider_error) naming `source` for anything else.
RawImage image_from_png(const std::string& bytes, const std::string& source);
RawImage image_from_base64(const std::string& text, const std::string& source);

// A provider's answer as a JSON object; throws provider_error naming `source` otherwise.
nlohmann::json json_answer(const std::string& body, const std::string& source);
// The image of an answer's "images" array (Bedrock's models answer one image a call); throws
// provider_error naming `source` when there is none.
RawImage first_image(const nlohmann::json& answer, const std::string& source);

// A mask as pure black and white, as the models want it: pixels at least half bright (white:
// repaint, in RenderMart's convention) become `repaint`, the others `keep`.
RawImage binary_mask(const RawImage& mask, std::uint8_t repaint, std::uint8_t keep);

}  // namespace rendermart
