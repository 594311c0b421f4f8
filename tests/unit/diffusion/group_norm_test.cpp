#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/group_norm.hpp"

#include <ATen/Parallel.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/group_norm.h>
#include <ATen/ops/silu.h>
#include <gtest/gtest.h>

#include <vector>

#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

struct Shape {
  int64_t batch, channels, height, width, groups;
};

// UNet and VAE shapes with small images, plus channel counts that are no multiple of 16, groups
// larger than a 4096-element chunk, and a 1x1 image.
const std::vector<Shape> kShapes = {
    {2, 320, 16, 16, 32},  // UNet, first level
    {1, 1280, 8, 8, 32},   // UNet, deepest level
    {1, 64, 96, 96, 32},   // VAE-like: 18,432 values a group, 36 channels-last chunks
    {1, 12, 7, 5, 3},      // 35 pixels, 4 channels a group
    {2, 20, 9, 9, 4},      // channels-last rows of 20
    {1, 4, 1, 1, 2},       // one pixel
};

struct Params {
  at::Tensor weight, bias;
};

Params random_params(int64_t channels, uint64_t seed) {
  return {random_tensor({channels}, at::kFloat, 0.5, seed) + 1.0,
          random_tensor({channels}, at::kFloat, 0.5, seed + 1)};
}

// at::group_norm (+ silu) in float64.
at::Tensor reference_group_norm(const at::Tensor& x, int groups, const Params& p, double eps,
                                bool silu) {
  at::Tensor y = at::group_norm(x.to(at::kDouble).contiguous(), groups, p.weight.to(at::kDouble),
                                p.bias.to(at::kDouble), eps);
  return silu ? at::silu(y) : y;
}

// float32 agrees with float64 to float32 rounding; bfloat16 to one rounding of the output.
constexpr double kFloatTolerance = 1e-5;
constexpr double kBfloatTolerance = 1.0 / 128;

class GroupNorm : public ::testing::Test {
 protected:
  GroupNorm() { at::set_num_threads(2); }

  static void expect_matches_reference(at::ScalarType dtype, double tolerance) {
    uint64_t seed = 1;
    for (const Shape& s : kShapes) {
      for (const at::MemoryFormat format :
           {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
        for (const bool silu : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "[" << s.batch << ", " << s.channels << ", "
                                            << s.height << ", " << s.width << "], " << s.groups
                                            << " groups, " << format << (silu ? ", silu" : ""));
          const at::Tensor x = (random_tensor({s.batch, s.channels, s.height, s.width}, at::kDouble,
                                              2.0, seed += 3) +
                                0.7)
                                   .to(dtype)
                                   .contiguous(format);
          const Params p = random_params(s.channels, seed + 1);
          const at::Tensor y =
              group_norm(x, static_cast<int>(s.groups), p.weight, p.bias, 1e-5, silu);
          EXPECT_EQ(y.scalar_type(), dtype);
          EXPECT_TRUE(y.is_contiguous(format));
          EXPECT_TRUE(all_close(y,
                                reference_group_norm(x, static_cast<int>(s.groups), p, 1e-5, silu),
                                tolerance, tolerance));
        }
      }
    }
  }
};

TEST_F(GroupNorm, Float32MatchesReference) {
  expect_matches_reference(at::kFloat, kFloatTolerance);
}

TEST_F(GroupNorm, Bfloat16MatchesReference) {
  expect_matches_reference(at::kBFloat16, kBfloatTolerance);
}

TEST_F(GroupNorm, WeakerLevelsMatchTheReferenceToTheSameTolerance) {
  for_each_weaker_level([] {
    expect_matches_reference(at::kFloat, kFloatTolerance);
    expect_matches_reference(at::kBFloat16, kBfloatTolerance);
  });
}

TEST_F(GroupNorm, StaysAccurateWhenTheMeanDwarfsTheSpread) {
  // A mean 10^5 standard deviations away from 0: sums of squares in float32 would lose every
  // digit of the variance, and x - mean every digit of the output.
  for (const at::MemoryFormat format :
       {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
    SCOPED_TRACE(::testing::Message() << format);
    const at::Tensor x = (random_tensor({2, 64, 40, 40}, at::kDouble, 0.01, 120) + 1000.0)
                             .to(at::kFloat)
                             .contiguous(format);
    const Params p = random_params(64, 121);
    EXPECT_TRUE(all_close(group_norm(x, 32, p.weight, p.bias, 1e-6, true),
                          reference_group_norm(x, 32, p, 1e-6, true), 2e-5, 2e-5));
  }
}

TEST_F(GroupNorm, CopiesOtherLayouts) {
  const at::Tensor x = random_tensor({1, 32, 12, 10}, at::kFloat, 1.0, 130).transpose(2, 3);
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(x.is_contiguous(at::MemoryFormat::ChannelsLast));
  const Params p = random_params(32, 131);
  const at::Tensor y = group_norm(x, 8, p.weight, p.bias, 1e-5, true);
  EXPECT_TRUE(y.is_contiguous());
  EXPECT_TRUE(
      all_close(y, reference_group_norm(x, 8, p, 1e-5, true), kFloatTolerance, kFloatTolerance));
}

TEST_F(GroupNorm, ResultDoesNotDependOnThreads) {
  for (const at::MemoryFormat format :
       {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
    const at::Tensor x = random_tensor({2, 320, 32, 32}, at::kFloat, 1.0, 140).contiguous(format);
    const Params p = random_params(320, 141);
    const at::Tensor two_threads = group_norm(x, 32, p.weight, p.bias, 1e-5, true);
    at::set_num_threads(1);
    const at::Tensor one_thread = group_norm(x, 32, p.weight, p.bias, 1e-5, true);
    at::set_num_threads(2);
    EXPECT_TRUE(at::equal(one_thread, two_threads));
  }
}

TEST_F(GroupNorm, RejectsBadArguments) {
  const at::Tensor x = random_tensor({1, 8, 4, 4}, at::kFloat, 1.0, 150);
  const Params p = random_params(8, 151);
  EXPECT_TRUE(throws_with([&] { group_norm(x, 3, p.weight, p.bias, 1e-5, false); },
                          "8 channels do not split into 3 groups"));
  EXPECT_TRUE(
      throws_with([&] { group_norm(x, 0, p.weight, p.bias, 1e-5, false); }, "do not split"));
  EXPECT_TRUE(throws_with([&] { group_norm(x.flatten(2), 2, p.weight, p.bias, 1e-5, false); },
                          "[N, C, H, W]"));
  EXPECT_TRUE(throws_with([&] { group_norm(x.to(at::kDouble), 2, p.weight, p.bias, 1e-5, false); },
                          "float32 or bfloat16"));
  EXPECT_TRUE(
      throws_with([&] { group_norm(x, 2, p.weight.to(at::kBFloat16), p.bias, 1e-5, false); },
                  "must be float32"));
  EXPECT_TRUE(throws_with([&] { group_norm(x, 2, p.weight.narrow(0, 0, 4), p.bias, 1e-5, false); },
                          "must be [8]"));
  EXPECT_TRUE(throws_with([&] { group_norm(x, 2, p.weight, p.bias, -1.0, false); },
                          "eps must not be negative"));
}

}  // namespace
}  // namespace rendermart::diffusion
