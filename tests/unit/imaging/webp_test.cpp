#include "imaging/webp.hpp"

#include <gtest/gtest.h>
#include <webp/decode.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "core/error.hpp"

namespace rendermart {
namespace {

RawImage pattern(int width, int height) {
  RawImage image{width, height, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.rgb.insert(image.rgb.end(), {static_cast<std::uint8_t>(x * 255 / width),
                                         static_cast<std::uint8_t>(y * 255 / height), 90});
    }
  }
  return image;
}

const std::uint8_t* bytes_of(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

TEST(Webp, ThumbnailIsAWebpOfTheFittedSize) {
  const std::string webp = make_thumbnail(pattern(1024, 768), 256);
  ASSERT_GT(webp.size(), 12u);
  EXPECT_EQ(webp.substr(0, 4), "RIFF");
  EXPECT_EQ(webp.substr(8, 4), "WEBP");
  int width = 0;
  int height = 0;
  ASSERT_TRUE(WebPGetInfo(bytes_of(webp), webp.size(), &width, &height));
  EXPECT_EQ(width, 256);
  EXPECT_EQ(height, 192);
}

TEST(Webp, KeepsColours) {
  RawImage image{64, 64, {}};
  for (int i = 0; i < 64 * 64; ++i) image.rgb.insert(image.rgb.end(), {200, 40, 90});
  const std::string webp = encode_webp(image, 90);
  int width = 0;
  int height = 0;
  const std::unique_ptr<std::uint8_t, decltype(&WebPFree)> rgb(
      WebPDecodeRGB(bytes_of(webp), webp.size(), &width, &height), &WebPFree);
  ASSERT_TRUE(rgb);
  ASSERT_EQ(width * height, 64 * 64);
  const std::uint8_t* centre = rgb.get() + (32 * 64 + 32) * 3;
  EXPECT_NEAR(centre[0], 200, 6);
  EXPECT_NEAR(centre[1], 40, 6);
  EXPECT_NEAR(centre[2], 90, 6);
}

TEST(Webp, RejectsBadInput) {
  EXPECT_THROW(encode_webp(pattern(8, 8), 101), Error);
  EXPECT_THROW(encode_webp(pattern(8, 8), -1), Error);
  EXPECT_THROW(encode_webp(RawImage{8, 8, {}}, 80), Error);
  EXPECT_THROW(make_thumbnail(RawImage{}, 64), Error);
}

}  // namespace
}  // namespace rendermart
