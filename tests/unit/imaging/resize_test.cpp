#include "imaging/resize.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/error.hpp"

namespace rendermart {
namespace {

RawImage solid(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  RawImage image{width, height, {}};
  for (int i = 0; i < width * height; ++i) image.rgb.insert(image.rgb.end(), {r, g, b});
  return image;
}

bool all_pixels_are(const RawImage& image, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  for (std::size_t i = 0; i < image.rgb.size(); i += 3) {
    if (image.rgb[i] != r || image.rgb[i + 1] != g || image.rgb[i + 2] != b) return false;
  }
  return true;
}

TEST(Resize, FitKeepsAspect) {
  auto out = resize_to_fit(solid(1024, 512, 1, 2, 3), 256);
  EXPECT_EQ(out.width, 256);
  EXPECT_EQ(out.height, 128);
  EXPECT_EQ(out.rgb.size(), 256u * 128 * 3);
  out = resize_to_fit(solid(100, 300, 1, 2, 3), 64);
  EXPECT_EQ(out.width, 21);
  EXPECT_EQ(out.height, 64);
}

TEST(Resize, FitNeverEnlarges) {
  RawImage image = solid(40, 30, 9, 8, 7);
  image.rgb[5] = 200;
  const auto out = resize_to_fit(image, 256);
  EXPECT_EQ(out.width, 40);
  EXPECT_EQ(out.height, 30);
  EXPECT_EQ(out.rgb, image.rgb);
}

TEST(Resize, SolidColourStaysSolid) {
  EXPECT_TRUE(all_pixels_are(resize_to_fit(solid(301, 157, 200, 40, 90), 100), 200, 40, 90));
  EXPECT_TRUE(all_pixels_are(resize(solid(10, 10, 13, 250, 77), 37, 23), 13, 250, 77));
}

TEST(Resize, ShrinkingAveragesEveryPixel) {
  // Nearest-neighbour sampling would give pure black or white here.
  RawImage checker{2, 2, {0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0}};
  EXPECT_EQ(resize(checker, 1, 1).rgb, (std::vector<std::uint8_t>{128, 128, 128}));
  RawImage stripes{3, 1, {0, 0, 0, 90, 90, 90, 255, 255, 255}};
  EXPECT_EQ(resize(stripes, 2, 1).rgb, (std::vector<std::uint8_t>{30, 30, 30, 200, 200, 200}));
}

TEST(Resize, EnlargingInterpolates) {
  RawImage ramp{2, 1, {0, 0, 0, 255, 255, 255}};
  EXPECT_EQ(resize(ramp, 4, 1).rgb,
            (std::vector<std::uint8_t>{0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255}));
}

TEST(Enlarge, DoublesWithACubicThatKeepsFlatAreasAndSharpensEdges) {
  RawImage flat = solid(3, 2, 40, 80, 120);
  flat.alpha.assign(6, 200);
  const auto doubled = enlarge(flat, 2);
  EXPECT_EQ(doubled.width, 6);
  EXPECT_EQ(doubled.height, 4);
  EXPECT_EQ(doubled.rgb, solid(6, 4, 40, 80, 120).rgb);
  EXPECT_EQ(doubled.alpha, std::vector<std::uint8_t>(24, 200));
  // A step from 0 to 255: the cubic overshoots a little either side (clamped), so the pixels
  // beside the edge stay further from the middle than bilinear's 64 and 191.
  RawImage step{4, 1, {0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255}};
  const auto cubic = enlarge(step, 2);
  EXPECT_LT(cubic.rgb[3 * 3], 64);
  EXPECT_GT(cubic.rgb[4 * 3], 191);
  EXPECT_THROW(enlarge(step, 0), Error);
}

TEST(Resize, RejectsMalformedImages) {
  EXPECT_THROW(resize_to_fit(RawImage{2, 2, std::vector<std::uint8_t>(5)}, 1), Error);
  EXPECT_THROW(resize_to_fit(RawImage{}, 1), Error);
  EXPECT_THROW(resize_to_fit(solid(2, 2, 0, 0, 0), 0), Error);
  EXPECT_THROW(resize(solid(2, 2, 0, 0, 0), 0, 3), Error);
}

}  // namespace
}  // namespace rendermart
