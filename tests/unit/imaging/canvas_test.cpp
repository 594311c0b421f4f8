#include "imaging/canvas.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/error.hpp"

namespace rendermart {
namespace {

TEST(ExtendCanvas, StretchesTheEdgesAndMasksThePicture) {
  // 2x1: a red pixel, then a blue one.
  const RawImage image{2, 1, {255, 0, 0, 0, 0, 255}, {}};
  const auto extended = extend_canvas(image, Margins{1, 2, 1, 0});
  ASSERT_EQ(extended.image.width, 5);
  ASSERT_EQ(extended.image.height, 2);
  const auto red_of = [&](int x, int y) { return extended.image.rgb[(y * 5 + x) * 3]; };
  const auto mask_of = [&](int x, int y) { return extended.mask.rgb[(y * 5 + x) * 3]; };
  // Row 0 is the new top margin, a copy of the picture's row; row 1 holds the picture at x 1..2.
  EXPECT_EQ(red_of(0, 1), 255);  // left margin: the red edge stretched
  EXPECT_EQ(red_of(1, 1), 255);
  EXPECT_EQ(red_of(2, 1), 0);
  EXPECT_EQ(red_of(4, 1), 0);  // right margin: the blue edge stretched
  EXPECT_EQ(red_of(1, 0), 255);
  EXPECT_EQ(mask_of(1, 1), 255);
  EXPECT_EQ(mask_of(2, 1), 255);
  EXPECT_EQ(mask_of(0, 1), 0);
  EXPECT_EQ(mask_of(1, 0), 0);
  EXPECT_EQ(mask_of(3, 1), 0);
  EXPECT_TRUE(extended.mask.alpha.empty());
  EXPECT_THROW(extend_canvas(image, Margins{-1, 0, 0, 0}), Error);
}

}  // namespace
}  // namespace rendermart
