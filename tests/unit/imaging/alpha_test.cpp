// Images with an alpha plane (what background removal makes): PNG and WebP keep it, resizing
// resamples it, and decoding either keeps it or composes over white.

#include <gtest/gtest.h>

#include <webp/decode.h>

#include "core/error.hpp"
#include "imaging/png.hpp"
#include "imaging/resize.hpp"
#include "imaging/webp.hpp"

namespace rendermart {
namespace {

// Red, left half transparent, right half opaque.
RawImage half_transparent(int width, int height) {
  RawImage image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<std::size_t>(width * height * 3));
  image.alpha.resize(static_cast<std::size_t>(width * height));
  for (int i = 0; i < width * height; ++i) {
    image.rgb[static_cast<std::size_t>(i * 3)] = 200;
    image.alpha[static_cast<std::size_t>(i)] = (i % width) < width / 2 ? 0 : 255;
  }
  return image;
}

TEST(Alpha, PngKeepsItOrComposesOverWhite) {
  const RawImage image = half_transparent(16, 4);
  const std::string png = encode_png(image, {{"parameters", "x"}});
  const RawImage kept = decode_png(png, PngAlpha::keep).image;
  EXPECT_EQ(kept.rgb, image.rgb);
  EXPECT_EQ(kept.alpha, image.alpha);
  const RawImage composed = decode_png(png).image;
  EXPECT_TRUE(composed.alpha.empty());
  EXPECT_EQ(composed.rgb[0], 255);  // transparent: white
  EXPECT_EQ(composed.rgb[1], 255);
  EXPECT_EQ(composed.rgb[15 * 3], 200);  // opaque: as it is
  EXPECT_EQ(composed.rgb[15 * 3 + 1], 0);
}

TEST(Alpha, OpaquePngsHaveNoAlphaPlane) {
  RawImage image = half_transparent(4, 4);
  image.alpha.clear();
  EXPECT_TRUE(decode_png(encode_png(image, {}), PngAlpha::keep).image.alpha.empty());
}

TEST(Alpha, ResizeResamplesTheAlphaPlane) {
  const RawImage small = resize(half_transparent(64, 8), 16, 2);
  ASSERT_EQ(small.alpha.size(), 32u);
  EXPECT_EQ(small.alpha[0], 0);
  EXPECT_EQ(small.alpha[15], 255);
  EXPECT_EQ(interleave_rgba(small).size(), 16u * 2 * 4);
}

TEST(Alpha, WebPThumbnailsKeepTransparency) {
  const std::string webp = make_thumbnail(half_transparent(64, 64), 32);
  WebPBitstreamFeatures features;
  ASSERT_EQ(
      WebPGetFeatures(reinterpret_cast<const std::uint8_t*>(webp.data()), webp.size(), &features),
      VP8_STATUS_OK);
  EXPECT_TRUE(features.has_alpha);
  EXPECT_EQ(features.width, 32);
}

TEST(Alpha, AMismatchedPlaneIsRefused) {
  RawImage image = half_transparent(4, 4);
  image.alpha.pop_back();
  EXPECT_THROW(encode_png(image, {}), Error);
  EXPECT_THROW(encode_webp(image, 80), Error);
}

}  // namespace
}  // namespace rendermart
