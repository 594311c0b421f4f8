#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/gelu.hpp"

#include <ATen/Parallel.h>
#include <ATen/ops/add.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/mul.h>
#include <gtest/gtest.h>

#include <vector>

#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

// torch's exact gelu in float64.
at::Tensor reference_gelu(const at::Tensor& x) { return at::gelu(x.to(at::kDouble)); }

// diffusers' GEGLU in float64: hidden * gelu(gate) for hidden, gate = (projected + bias).chunk(2).
at::Tensor reference_geglu(const at::Tensor& projected, const at::Tensor& bias) {
  at::Tensor p = projected.to(at::kDouble);
  if (bias.defined()) p = at::add(p, bias.to(at::kDouble));
  const int64_t inner = p.size(-1) / 2;
  return at::mul(p.narrow(-1, 0, inner), at::gelu(p.narrow(-1, inner, inner)));
}

constexpr double kFloatTolerance = 1e-5;
constexpr double kBfloatTolerance = 1.0 / 128;

// UNet widths (2 x 1280), the text encoder's MLP (77 x 4096), tails that are no multiple of 16,
// one row; values out to ±10 so that both saturated ends of erf are crossed.
const std::vector<std::vector<int64_t>> kShapes = {
    {2, 33, 2560}, {1, 77, 4096}, {1, 3, 2 * 37}, {2 * 5}, {4, 2}};

class Gelu : public ::testing::Test {
 protected:
  Gelu() { at::set_num_threads(2); }

  static void expect_matches_reference(at::ScalarType dtype, double tolerance) {
    uint64_t seed = 80;
    for (const auto& shape : kShapes) {
      for (const bool with_bias : {false, true}) {
        SCOPED_TRACE(::testing::Message() << at::IntArrayRef(shape) << (with_bias ? ", bias" : ""));
        const at::Tensor projected = random_tensor(shape, at::kDouble, 3.5, seed += 2).to(dtype);
        const at::Tensor bias =
            with_bias ? random_tensor({shape.back()}, dtype, 1.0, seed + 1) : at::Tensor();
        const at::Tensor y = geglu(projected, bias);
        EXPECT_EQ(y.scalar_type(), dtype);
        EXPECT_TRUE(y.is_contiguous());
        EXPECT_TRUE(all_close(y, reference_geglu(projected, bias), tolerance, tolerance));
        const at::Tensor g = exact_gelu(projected);
        EXPECT_EQ(g.scalar_type(), dtype);
        EXPECT_TRUE(all_close(g, reference_gelu(projected), tolerance, tolerance));
      }
    }
  }
};

TEST_F(Gelu, Float32MatchesReference) { expect_matches_reference(at::kFloat, kFloatTolerance); }

TEST_F(Gelu, Bfloat16MatchesReference) {
  expect_matches_reference(at::kBFloat16, kBfloatTolerance);
}

TEST_F(Gelu, WeakerLevelsMatchTheReferenceToTheSameTolerance) {
  for_each_weaker_level([] {
    expect_matches_reference(at::kFloat, kFloatTolerance);
    expect_matches_reference(at::kBFloat16, kBfloatTolerance);
  });
}

TEST_F(Gelu, CopiesViews) {
  const at::Tensor projected = random_tensor({40, 6}, at::kFloat, 2.0, 90).t();
  ASSERT_FALSE(projected.is_contiguous());
  EXPECT_TRUE(all_close(geglu(projected, {}), reference_geglu(projected, {}), kFloatTolerance,
                        kFloatTolerance));
  EXPECT_TRUE(all_close(exact_gelu(projected), reference_gelu(projected), kFloatTolerance,
                        kFloatTolerance));
}

TEST_F(Gelu, ResultDoesNotDependOnThreads) {
  const at::Tensor projected = random_tensor({1, 256, 2560}, at::kBFloat16, 2.0, 95);
  const at::Tensor bias = random_tensor({2560}, at::kBFloat16, 1.0, 96);
  const at::Tensor two_threads = geglu(projected, bias);
  const at::Tensor gelu_two_threads = exact_gelu(projected);
  at::set_num_threads(1);
  const at::Tensor one_thread = geglu(projected, bias);
  const at::Tensor gelu_one_thread = exact_gelu(projected);
  at::set_num_threads(2);
  EXPECT_TRUE(at::equal(one_thread, two_threads));
  EXPECT_TRUE(at::equal(gelu_one_thread, gelu_two_threads));
}

TEST_F(Gelu, RejectsBadArguments) {
  const at::Tensor x = random_tensor({2, 4}, at::kFloat, 1.0, 1);
  EXPECT_TRUE(throws_with(
      [] {
        geglu(random_tensor({2, 5}, at::kFloat, 1.0, 1), {});
      },
      "two halves"));
  EXPECT_TRUE(throws_with([&] { geglu(x.to(at::kDouble), {}); }, "float32 or bfloat16"));
  EXPECT_TRUE(
      throws_with([&] { geglu(x, random_tensor({2}, at::kFloat, 1.0, 2)); }, "bias must be [4]"));
  EXPECT_TRUE(throws_with([&] { geglu(x, random_tensor({4}, at::kBFloat16, 1.0, 2)); },
                          "bias must be [4]"));
  EXPECT_TRUE(throws_with([&] { exact_gelu(x.to(at::kDouble)); }, "float32 or bfloat16"));
}

}  // namespace
}  // namespace rendermart::diffusion
