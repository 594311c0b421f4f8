#include "imaging/png.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace rendermart {
namespace {

RawImage gradient(int width, int height) {
  RawImage image{width, height, {}};
  image.rgb.resize(static_cast<std::size_t>(width * height * 3));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      auto* p = &image.rgb[static_cast<std::size_t>((y * width + x) * 3)];
      p[0] = static_cast<std::uint8_t>(x * 7);
      p[1] = static_cast<std::uint8_t>(y * 11);
      p[2] = static_cast<std::uint8_t>((x * y) ^ 0x5A);
    }
  }
  return image;
}

// Writes a PNG in another layout with libpng's simplified API, which reports errors by return
// value.
std::string write_with_libpng(png_uint_32 format, int width, int height, const void* pixels,
                              const void* colormap = nullptr, png_uint_32 colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  image.colormap_entries = colormap_entries;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_get_memory_size(image, size, 0, pixels, 0, colormap));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels, 0, colormap));
  out.resize(size);
  return out;
}

void expect_invalid_image(std::string_view bytes) {
  try {
    decode_png(bytes);
    ADD_FAILURE() << "decoded " << bytes.size() << " bad bytes";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "image");
  }
}

TEST(Png, RoundTripsPixels) {
  const RawImage image = gradient(37, 23);
  const DecodedPng decoded = decode_png(encode_png(image, {}));
  EXPECT_EQ(decoded.image.width, 37);
  EXPECT_EQ(decoded.image.height, 23);
  EXPECT_EQ(decoded.image.rgb, image.rgb);
  EXPECT_TRUE(decoded.text.empty());
}

TEST(Png, RoundTripsTextChunksInAnyScript) {
  const TextChunks chunks = {
      {"parameters", "a red fox, at sunset\nSteps: 20, Seed: 1"},
      {"Comment", "caf\xC3\xA9 cr\xC3\xA8me"},  // Latin-1: tEXt
      {"prompt",
       "a fox \xF0\x9F\xA6\x8A in \xE6\x9D\xB1\xE4\xBA\xAC at night"},  // emoji, CJK: iTXt
      {"empty", ""},
  };
  const std::string png = encode_png(gradient(8, 8), chunks);
  EXPECT_NE(png.find("tEXtComment"), std::string::npos);
  EXPECT_NE(png.find("iTXtprompt"), std::string::npos);
  EXPECT_EQ(decode_png(png).text, chunks);
}

TEST(Png, TextChunksComeBeforeImageData) {
  // Readers that stop at the first IDAT (thumbnailers, galleries) must still find the parameters.
  const std::string png = encode_png(gradient(4, 4), {{"parameters", "x"}});
  EXPECT_LT(png.find("tEXtparameters"), png.find("IDAT"));
}

TEST(Png, RejectsMalformedInput) {
  EXPECT_THROW(encode_png(RawImage{4, 4, std::vector<std::uint8_t>(10)}, {}), Error);
  EXPECT_THROW(encode_png(RawImage{0, 4, {}}, {}), Error);
  const RawImage ok = gradient(2, 2);
  EXPECT_THROW(encode_png(ok, {{"", "v"}}), Error);
  EXPECT_THROW(encode_png(ok, {{std::string(80, 'k'), "v"}}), Error);
  EXPECT_THROW(encode_png(ok, {{"two  spaces", "v"}}), Error);
  EXPECT_THROW(encode_png(ok, {{"\xE6\x9D\xB1", "v"}}), Error);  // not Latin-1
  EXPECT_THROW(encode_png(ok, {{"key", "\xFF\xFE"}}), Error);    // not UTF-8
  EXPECT_NO_THROW(encode_png(ok, {{std::string(79, 'k'), "v"}}));
}

TEST(Png, GarbageThrowsInvalidImage) {
  expect_invalid_image("");
  expect_invalid_image("hello");
  expect_invalid_image(std::string(1000, '\x42'));
  // A PNG signature followed by garbage gets past the signature check into libpng.
  expect_invalid_image(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(200, '\x07'));
}

TEST(Png, EveryTruncationThrowsInvalidImage) {
  const std::string png = encode_png(gradient(16, 16), {{"parameters", "a prompt"}});
  for (std::size_t length = 0; length < png.size(); ++length) {
    expect_invalid_image(std::string_view(png).substr(0, length));
  }
}

TEST(Png, CorruptImageDataThrowsInvalidImage) {
  std::string png = encode_png(gradient(16, 16), {});
  png[png.find("IDAT") + 10] ^= 0x55;  // breaks the chunk's CRC
  expect_invalid_image(png);
}

TEST(Png, DecodesGreyPaletteAlphaAnd16Bit) {
  const std::uint8_t grey[] = {0, 128, 255, 7};
  auto decoded = decode_png(write_with_libpng(PNG_FORMAT_GRAY, 2, 2, grey)).image;
  EXPECT_EQ(decoded.rgb,
            (std::vector<std::uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7}));

  const std::uint8_t palette[] = {255, 0, 0, 0, 0, 255};
  const std::uint8_t indices[] = {1, 0, 0, 1};
  decoded = decode_png(write_with_libpng(PNG_FORMAT_RGB_COLORMAP, 2, 2, indices, palette, 2)).image;
  EXPECT_EQ(decoded.rgb, (std::vector<std::uint8_t>{0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 255}));

  // Transparent pixels are composed over white; opaque ones keep their colour.
  const std::uint8_t rgba[] = {10, 20, 30, 255, 0, 0, 0, 0, 0, 0, 0, 128, 200, 100, 0, 255};
  decoded = decode_png(write_with_libpng(PNG_FORMAT_RGBA, 2, 2, rgba)).image;
  EXPECT_EQ(decoded.rgb,
            (std::vector<std::uint8_t>{10, 20, 30, 255, 255, 255, 127, 127, 127, 200, 100, 0}));

  const std::uint16_t deep[] = {0, 65535, 65535, 0};
  decoded = decode_png(write_with_libpng(PNG_FORMAT_LINEAR_Y, 2, 2, deep)).image;
  EXPECT_EQ(decoded.rgb,
            (std::vector<std::uint8_t>{0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0}));
}

}  // namespace
}  // namespace rendermart
