#include "imaging/uploaded_image.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "imaging/jpeg.hpp"
#include "imaging/orientation.hpp"
#include "imaging/pixel_limit.hpp"
#include "imaging/png.hpp"
#include "imaging/webp.hpp"

namespace rendermart {
namespace {

constexpr std::string_view kPngSignature{"\x89PNG\r\n\x1a\n", 8};

std::uint32_t big_endian32(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<std::uint8_t>(bytes[offset + i]);
  return value;
}

// What a PNG says before its image data: its size (IHDR, always the first chunk) and its eXIf
// chunk, found by walking the chunk headers without inflating anything. decode_png checks the
// CRCs and the rest.
struct PngHeader {
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::string exif;
};

PngHeader read_png_header(std::string_view bytes) {
  constexpr std::size_t kIhdrEnd = 8 + 8 + 13;
  if (bytes.size() < kIhdrEnd || bytes.substr(12, 4) != "IHDR") {
    throw invalid_argument("file", "the PNG file is truncated or corrupt: upload the whole file");
  }
  PngHeader header{big_endian32(bytes, 16), big_endian32(bytes, 20), {}};
  for (std::size_t offset = 8; bytes.size() - offset >= 12;) {
    const std::size_t length = big_endian32(bytes, offset);
    const auto type = bytes.substr(offset + 4, 4);
    if (length > bytes.size() - offset - 12 || type == "IEND") break;
    if (type == "eXIf") {
      header.exif.assign(bytes.substr(offset + 8, length));
      break;
    }
    offset += 12 + length;
  }
  return header;
}

}  // namespace

const char* media_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::png: return "image/png";
    case ImageFormat::jpeg: return "image/jpeg";
    case ImageFormat::webp: return "image/webp";
  }
  return "application/octet-stream";
}

std::optional<ImageFormat> sniff_image_format(std::string_view bytes) {
  if (bytes.substr(0, kPngSignature.size()) == kPngSignature) return ImageFormat::png;
  if (bytes.substr(0, 3) == "\xff\xd8\xff") return ImageFormat::jpeg;
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") {
    return ImageFormat::webp;
  }
  return std::nullopt;
}

RawImage decode_uploaded_image(std::string_view bytes, std::int64_t max_pixels) {
  if (bytes.empty()) throw invalid_argument("file", "the file is empty: choose a picture");
  const auto format = sniff_image_format(bytes);
  if (!format) {
    throw invalid_argument("file", "the file is not a PNG, JPEG or WebP picture");
  }
  switch (*format) {
    case ImageFormat::png: {
      auto header = read_png_header(bytes);
      check_pixel_count(header.width, header.height, max_pixels);
      RawImage image;
      try {
        image = decode_png(bytes, PngAlpha::keep).image;
      } catch (const Error& e) {
        throw invalid_argument("file", std::string("the PNG file cannot be read (") + e.what() +
                                           "): upload the whole, unaltered file");
      }
      return apply_orientation(image, exif_orientation(header.exif));
    }
    case ImageFormat::jpeg: {
      auto jpeg = decode_jpeg(bytes, max_pixels);
      return apply_orientation(jpeg.image, exif_orientation(jpeg.exif));
    }
    case ImageFormat::webp: {
      auto webp = decode_webp(bytes, max_pixels);
      return apply_orientation(webp.image, exif_orientation(webp.exif));
    }
  }
  throw invalid_argument("file", "the file is not a PNG, JPEG or WebP picture");
}

std::optional<RawImage> mask_from_transparency(const RawImage& image) {
  if (std::all_of(image.alpha.begin(), image.alpha.end(), [](auto a) { return a == 255; })) {
    return std::nullopt;
  }
  RawImage mask{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size()), {}};
  for (std::size_t i = 0; i < image.alpha.size(); ++i) {
    const auto repaint = static_cast<std::uint8_t>(255 - image.alpha[i]);
    for (int c = 0; c < 3; ++c) mask.rgb[i * 3 + c] = repaint;
  }
  return mask;
}

}  // namespace rendermart
