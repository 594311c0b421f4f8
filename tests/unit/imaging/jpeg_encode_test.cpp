// JPEG output (the OpenAI-compatible API's output_format jpeg): a file libjpeg reads back at the
// same size and close to the same colours, smaller at a lower quality.

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/error.hpp"
#include "imaging/jpeg.hpp"

namespace rendermart {
namespace {

RawImage gradient(int width, int height) {
  RawImage image;
  image.width = width;
  image.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.rgb.push_back(static_cast<std::uint8_t>(x * 4));
      image.rgb.push_back(static_cast<std::uint8_t>(y * 4));
      image.rgb.push_back(128);
    }
  }
  return image;
}

TEST(JpegEncode, RoundTripsThroughTheDecoder) {
  const RawImage image = gradient(48, 32);
  const std::string bytes = encode_jpeg(image, 95);
  ASSERT_GE(bytes.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0xD8);
  const auto decoded = decode_jpeg(bytes, 1 << 20).image;
  ASSERT_EQ(decoded.width, 48);
  ASSERT_EQ(decoded.height, 32);
  for (std::size_t i = 0; i < image.rgb.size(); ++i) {
    EXPECT_LE(std::abs(decoded.rgb[i] - image.rgb[i]), 12) << "byte " << i;
  }
  EXPECT_LT(encode_jpeg(image, 10).size(), bytes.size());
}

TEST(JpegEncode, RefusesAQualityOutside0To100) {
  EXPECT_THROW(encode_jpeg(gradient(8, 8), 101), Error);
  EXPECT_THROW(encode_jpeg(gradient(8, 8), -1), Error);
}

}  // namespace
}  // namespace rendermart
