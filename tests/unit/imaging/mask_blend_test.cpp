// Masks as repaint weights with AUTOMATIC1111's Gaussian mask blur, and laying an edited picture
// over its source through them.

#include "imaging/mask_blend.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.hpp"

namespace rendermart {
namespace {

// A width x 1 mask, white from column `from` on.
RawImage white_from(int width, int from) {
  RawImage mask{width, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * 3, 0)};
  for (int x = from; x < width; ++x) {
    for (int c = 0; c < 3; ++c) mask.rgb[static_cast<std::size_t>(x * 3 + c)] = 255;
  }
  return mask;
}

TEST(MaskWeights, UnblurredTheyAreTheMasksBrightnessOrItsComplement) {
  RawImage mask{2, 1, {255, 255, 255, 30, 60, 90}};
  EXPECT_EQ(mask_weights(mask, 0, true), (std::vector<float>{1.0f, 60 / 255.0f}));
  const auto outpaint = mask_weights(mask, 0, false);
  EXPECT_FLOAT_EQ(outpaint[0], 0);
  EXPECT_FLOAT_EQ(outpaint[1], 1 - 60 / 255.0f);
}

TEST(MaskWeights, TheBlurSpreadsTheEdgeOverTwoAndAHalfSigmasEachSide) {
  const auto weights = mask_weights(white_from(64, 32), 4, true);
  // 2 * int(2.5 * 4 + 0.5) + 1 = 21 taps: columns 10 and more from the edge are untouched.
  for (int x = 0; x <= 21; ++x) EXPECT_FLOAT_EQ(weights[static_cast<std::size_t>(x)], 0) << x;
  for (int x = 42; x < 64; ++x) EXPECT_NEAR(weights[static_cast<std::size_t>(x)], 1, 1e-6) << x;
  EXPECT_GT(weights[22], 0);
  EXPECT_LT(weights[41], 1);
  // Symmetric about the edge, half way at it.
  EXPECT_NEAR(weights[31] + weights[32], 1, 1e-6);
  EXPECT_NEAR(weights[28] + weights[35], 1, 1e-6);
  for (int x = 1; x < 64; ++x) {
    EXPECT_GE(weights[static_cast<std::size_t>(x)], weights[static_cast<std::size_t>(x - 1)]);
  }
}

TEST(MaskWeights, ABlurWiderThanThePictureMirrorsAtItsEdges) {
  const auto weights = mask_weights(white_from(5, 2), 64, true);
  for (const float w : weights) {
    EXPECT_GT(w, 0.3f);
    EXPECT_LT(w, 0.8f);
  }
}

TEST(BlendMasked, MovesEachPixelTowardTheEditByItsWeightAndMakesRepaintOpaque) {
  RawImage source{3, 1, {0, 0, 0, 100, 100, 100, 200, 200, 200}, {10, 20, 30}};
  const RawImage edited{3, 1, std::vector<std::uint8_t>(9, 50)};
  const auto out = blend_masked(source, edited, {0.0f, 0.5f, 1.0f});
  EXPECT_EQ(out.rgb, (std::vector<std::uint8_t>{0, 0, 0, 75, 75, 75, 50, 50, 50}));
  EXPECT_EQ(out.alpha, (std::vector<std::uint8_t>{10, 138, 255}));
  EXPECT_THROW(blend_masked(source, edited, {0.0f, 1.0f}), Error);
  EXPECT_THROW(blend_masked(source, RawImage{1, 1, {0, 0, 0}}, {0.0f, 0.5f, 1.0f}), Error);
}

}  // namespace
}  // namespace rendermart
