#include "diffusion/banded_convolution.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "diffusion/engine.hpp"
#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

// Bands hold 16 MiB of input: these images are large enough for two or three bands each, the
// last one shorter.
constexpr double kFloatTolerance = 1e-5;
constexpr double kBfloatTolerance = 2e-2;

GroupNorm random_norm(int64_t channels, uint64_t seed) {
  GroupNorm norm;
  norm.weight = random_tensor({channels}, at::kFloat, 0.3, seed) + 1.0;
  norm.bias = random_tensor({channels}, at::kFloat, 0.3, seed + 1);
  norm.groups = 4;
  norm.eps = 1e-6;
  return norm;
}

Conv2d random_conv(int64_t in, int64_t out, int64_t kernel, at::ScalarType dtype, uint64_t seed) {
  Conv2d conv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
  conv.weight = random_tensor({out, in, kernel, kernel}, dtype, scale, seed)
                    .contiguous(at::MemoryFormat::ChannelsLast);
  conv.bias = random_tensor({out}, dtype, 0.1, seed + 1);
  conv.padding = static_cast<int>(kernel / 2);
  return conv;
}

ResnetBlock random_resnet(int64_t in, int64_t out, at::ScalarType dtype, uint64_t seed) {
  ResnetBlock block;
  block.norm1 = random_norm(in, seed);
  block.conv1 = random_conv(in, out, 3, dtype, seed + 2);
  block.norm2 = random_norm(out, seed + 4);
  block.conv2 = random_conv(out, out, 3, dtype, seed + 6);
  if (in != out) block.conv_shortcut = random_conv(in, out, 1, dtype, seed + 8);
  return block;
}

at::Tensor random_image(at::IntArrayRef sizes, at::ScalarType dtype, uint64_t seed) {
  return (random_tensor(sizes, at::kDouble, 1.5, seed) + 0.5)
      .to(dtype)
      .contiguous(at::MemoryFormat::ChannelsLast);
}

double tolerance(at::ScalarType dtype) {
  return dtype == at::kFloat ? kFloatTolerance : kBfloatTolerance;
}

class BandedConvolution : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  void SetUp() override {
    if (GetParam() == at::kBFloat16 && !bfloat16_supported()) {
      GTEST_SKIP() << "bfloat16 convolutions need AVX-512 BF16";
    }
  }
};

TEST_P(BandedConvolution, ResnetBlockMatchesTheWholeImage) {
  const auto dtype = GetParam();
  // 16 channels of 1024 pixels: 64 KiB a row in float32 (bands of 256 rows), 32 KiB in bfloat16.
  const ResnetBlock block = random_resnet(16, 16, dtype, 10);
  const at::Tensor x = random_image({2, 16, 600, 1024}, dtype, 20);
  const at::Tensor expected = block(x, at::Tensor());
  const at::Tensor actual = resnet_in_bands(block, x);
  EXPECT_TRUE(actual.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_EQ(actual.scalar_type(), dtype);
  EXPECT_TRUE(all_close(actual, expected, tolerance(dtype), tolerance(dtype)));
}

TEST_P(BandedConvolution, ResnetBlockWithAShortcutMatchesTheWholeImage) {
  const auto dtype = GetParam();
  const ResnetBlock block = random_resnet(32, 16, dtype, 30);
  const at::Tensor x = random_image({1, 32, 301, 1024}, dtype, 40);
  EXPECT_TRUE(all_close(resnet_in_bands(block, x), block(x, at::Tensor()), tolerance(dtype),
                        tolerance(dtype)));
}

TEST_P(BandedConvolution, UpsamplingMatchesTheWholeImage) {
  const auto dtype = GetParam();
  const Upsample upsample{random_conv(16, 16, 3, dtype, 50)};
  const at::Tensor x = random_image({2, 16, 300, 512}, dtype, 60);
  const at::Tensor actual = upsample_conv_in_bands(upsample.conv, x);
  EXPECT_EQ(actual.sizes(), (at::IntArrayRef{2, 16, 600, 1024}));
  EXPECT_TRUE(all_close(actual, upsample(x, std::nullopt), tolerance(dtype), tolerance(dtype)));
}

TEST_P(BandedConvolution, NormalizedConvolutionToFewChannelsMatchesTheWholeImage) {
  const auto dtype = GetParam();
  const GroupNorm norm = random_norm(16, 70);
  const Conv2d conv = random_conv(16, 3, 3, dtype, 72);
  const at::Tensor x = random_image({1, 16, 555, 1024}, dtype, 80);
  EXPECT_TRUE(all_close(norm_silu_conv_in_bands(norm, conv, x), conv(norm(x, true)),
                        tolerance(dtype), tolerance(dtype)));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, BandedConvolution, ::testing::Values(at::kFloat, at::kBFloat16));

TEST(BandedConvolutionMemory, ResnetBlockTakesTheInputsMemoryOnlyWhenNothingElseHoldsIt) {
  const ResnetBlock block = random_resnet(16, 16, at::kFloat, 90);
  const at::Tensor original = random_image({1, 16, 40, 40}, at::kFloat, 91);
  const at::Tensor expected = block(original, at::Tensor());

  at::Tensor held = original.clone(at::MemoryFormat::ChannelsLast);
  const at::Tensor from_held = resnet_in_bands(block, held);
  EXPECT_NE(from_held.data_ptr(), held.data_ptr());
  EXPECT_TRUE(all_close(held, original, 0, 0));

  at::Tensor free = original.clone(at::MemoryFormat::ChannelsLast);
  const void* memory = free.data_ptr();
  const at::Tensor from_free = resnet_in_bands(block, std::move(free));
  EXPECT_EQ(from_free.data_ptr(), memory);
  EXPECT_TRUE(all_close(from_free, expected, kFloatTolerance, kFloatTolerance));
}

TEST(BandedConvolutionMemory, ResnetBlockToFewerChannelsTakesTheInputsMemory) {
  // Two images of 16 channels of 2048 pixels, 128 KiB a row: bands of 128 rows, so the result's
  // rows overlap rows of x that later bands and the second image still read.
  const ResnetBlock block = random_resnet(16, 8, at::kFloat, 110);
  const at::Tensor original = random_image({2, 16, 300, 2048}, at::kFloat, 111);
  const at::Tensor expected = block(original, at::Tensor());
  at::Tensor free = original.clone(at::MemoryFormat::ChannelsLast);
  const void* memory = free.data_ptr();
  const at::Tensor actual = resnet_in_bands(block, std::move(free));
  EXPECT_EQ(actual.data_ptr(), memory);
  EXPECT_TRUE(actual.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(all_close(actual, expected, kFloatTolerance, kFloatTolerance));
}

TEST(BandedConvolutionArguments, RefusesAStridedConvolution) {
  Conv2d conv = random_conv(8, 8, 3, at::kFloat, 100);
  conv.stride = 2;
  const at::Tensor x = random_image({1, 8, 8, 8}, at::kFloat, 101);
  EXPECT_TRUE(
      throws_with([&] { norm_silu_conv_in_bands(random_norm(8, 102), conv, x); }, "stride 1"));
}

}  // namespace
}  // namespace rendermart::diffusion
