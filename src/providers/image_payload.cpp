#include "providers/image_payload.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "imaging/png.hpp"

namespace rendermart {

std::string png_base64(const RawImage& image) { return base64_encode(encode_png(image, {})); }

const RawImage& required_input(const std::optional<RawImage>& image, const char* what) {
  if (!image)
    throw Error(ErrorCode::internal, std::string("the ") + what + " image was not loaded");
  return *image;
}

RawImage image_from_png(const std::string& bytes, const std::string& source) {
  RawImage image;
  try {
    image = decode_png(bytes, PngAlpha::keep).image;
  } catch (const Error& e) {
    throw Error(ErrorCode::provider_error,
                source + " returned an image that is not a valid PNG: " + e.what());
  }
  if (std::all_of(image.alpha.begin(), image.alpha.end(),
                  [](std::uint8_t a) { return a == 255; })) {
    image.alpha.clear();
  }
  return image;
}

RawImage image_from_base64(const std::string& text, const std::string& source) {
  const auto bytes = base64_decode(text);
  if (!bytes)
    throw Error(ErrorCode::provider_error, source + " returned an image that is not base64");
  return image_from_png(*bytes, source);
}

nlohmann::json json_answer(const std::string& body, const std::string& source) {
  auto answer = nlohmann::json::parse(body, nullptr, false);
  if (!answer.is_object()) {
    throw Error(ErrorCode::provider_error,
                source + " answered something that is not a JSON object");
  }
  return answer;
}

RawImage first_image(const nlohmann::json& answer, const std::string& source) {
  const auto images = answer.find("images");
  if (images == answer.end() || !images->is_array() || images->empty() ||
      !(*images)[0].is_string()) {
    throw Error(ErrorCode::provider_error, source + " answered without an image");
  }
  return image_from_base64((*images)[0].get<std::string>(), source);
}

RawImage binary_mask(const RawImage& mask, std::uint8_t repaint, std::uint8_t keep) {
  RawImage out;
  out.width = mask.width;
  out.height = mask.height;
  out.rgb.resize(mask.rgb.size());
  for (std::size_t i = 0; i + 2 < mask.rgb.size(); i += 3) {
    // Rec. 601 luma in integers: 299 R + 587 G + 114 B, out of 255000.
    const unsigned luma = 299u * mask.rgb[i] + 587u * mask.rgb[i + 1] + 114u * mask.rgb[i + 2];
    const std::uint8_t value = luma >= 127500u ? repaint : keep;
    out.rgb[i] = out.rgb[i + 1] = out.rgb[i + 2] = value;
  }
  return out;
}

}  // namespace rendermart
