// Conv2d::pack: the convolution with oneDNN's blocked weights gives what the plain one gives, in
// the engine's channels-last layout.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "diffusion/engine.hpp"
#include "diffusion/layers.hpp"
#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

struct Case {
  int64_t in, out, kernel, stride, side;
};

TEST(Conv2dPack, PackedConvolutionMatchesThePlainOne) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "libtorch without oneDNN: nothing is packed";
  // A resnet's 3x3, a downsampler's stride 2, a shortcut's 1x1, on a small odd-sized map.
  const Case cases[] = {{64, 32, 3, 1, 8}, {32, 32, 3, 2, 9}, {48, 32, 1, 1, 6}};
  uint64_t seed = 200;
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    // oneDNN packs bfloat16 weights only for CPUs that compute it (the engine's bfloat16 too).
    if (dtype == at::kBFloat16 && !bfloat16_supported()) continue;
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << dtype << " " << c.in << "->" << c.out << " k" << c.kernel
                                        << " s" << c.stride);
      Conv2d conv;
      conv.weight = random_tensor({c.out, c.in, c.kernel, c.kernel}, dtype, 0.1, seed += 3)
                        .contiguous(at::MemoryFormat::ChannelsLast);
      conv.bias = random_tensor({c.out}, dtype, 0.5, seed + 1);
      conv.stride = static_cast<int>(c.stride);
      conv.padding = static_cast<int>(c.kernel / 2);
      const at::Tensor x = random_tensor({2, c.in, c.side, c.side + 1}, dtype, 1.0, seed + 2)
                               .contiguous(at::MemoryFormat::ChannelsLast);
      const at::Tensor plain = conv(x);
      conv.pack();
      EXPECT_TRUE(conv.packed.defined());
      EXPECT_FALSE(conv.weight.defined());
      const at::Tensor packed = conv(x);
      EXPECT_TRUE(packed.is_contiguous(at::MemoryFormat::ChannelsLast));
      EXPECT_EQ(packed.scalar_type(), dtype);
      const double tolerance = dtype == at::kFloat ? 1e-5 : 1.0 / 64;
      EXPECT_TRUE(all_close(packed, plain, tolerance, tolerance));
    }
  }
}

}  // namespace
}  // namespace rendermart::diffusion
