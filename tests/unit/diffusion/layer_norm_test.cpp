#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/layer_norm.hpp"

#include <ATen/Parallel.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/layer_norm.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include <vector>

#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

struct Params {
  at::Tensor weight, bias;
};

Params random_params(int64_t channels, uint64_t seed) {
  return {random_tensor({channels}, at::kFloat, 0.5, seed) + 1.0,
          random_tensor({channels}, at::kFloat, 0.5, seed + 1)};
}

// at::layer_norm in float64.
at::Tensor reference_layer_norm(const at::Tensor& x, const Params& p, double eps) {
  return at::layer_norm(x.to(at::kDouble), {x.size(-1)}, p.weight.to(at::kDouble),
                        p.bias.to(at::kDouble), eps);
}

constexpr double kFloatTolerance = 1e-5;
constexpr double kBfloatTolerance = 1.0 / 128;

class LayerNorm : public ::testing::Test {
 protected:
  LayerNorm() { at::set_num_threads(2); }

  // UNet rows (320, 1280 channels), the text encoder's (1024 in a [1, 77, C] batch), channel
  // counts that are no multiple of 16, and one row.
  static void expect_matches_reference(at::ScalarType dtype, double tolerance) {
    const std::vector<std::vector<int64_t>> shapes = {{2, 64, 320}, {1, 16, 1280}, {1, 77, 1024},
                                                      {3, 5, 37},   {7},           {1, 1, 3}};
    uint64_t seed = 10;
    for (const auto& shape : shapes) {
      SCOPED_TRACE(::testing::Message() << at::IntArrayRef(shape));
      const at::Tensor x = (random_tensor(shape, at::kDouble, 2.0, seed += 3) + 0.3).to(dtype);
      const Params p = random_params(shape.back(), seed + 1);
      const at::Tensor y = layer_norm(x, p.weight, p.bias, 1e-5);
      EXPECT_EQ(y.scalar_type(), dtype);
      EXPECT_EQ(y.sizes(), x.sizes());
      EXPECT_TRUE(y.is_contiguous());
      EXPECT_TRUE(all_close(y, reference_layer_norm(x, p, 1e-5), tolerance, tolerance));
    }
  }
};

TEST_F(LayerNorm, Float32MatchesReference) {
  expect_matches_reference(at::kFloat, kFloatTolerance);
}

TEST_F(LayerNorm, Bfloat16MatchesReference) {
  expect_matches_reference(at::kBFloat16, kBfloatTolerance);
}

TEST_F(LayerNorm, WeakerLevelsMatchTheReferenceToTheSameTolerance) {
  for_each_weaker_level([] {
    expect_matches_reference(at::kFloat, kFloatTolerance);
    expect_matches_reference(at::kBFloat16, kBfloatTolerance);
  });
}

TEST_F(LayerNorm, StaysAccurateWhenTheMeanDwarfsTheSpread) {
  const at::Tensor x = (random_tensor({4, 320}, at::kDouble, 0.01, 40) + 1000.0).to(at::kFloat);
  const Params p = random_params(320, 41);
  EXPECT_TRUE(all_close(layer_norm(x, p.weight, p.bias, 1e-6), reference_layer_norm(x, p, 1e-6),
                        2e-5, 2e-5));
}

TEST_F(LayerNorm, ConstantRowsGiveTheBias) {
  const at::Tensor x = at::ones({3, 48}, at::TensorOptions().dtype(at::kFloat)).mul(5.0);
  const Params p = random_params(48, 45);
  EXPECT_TRUE(all_close(layer_norm(x, p.weight, p.bias, 1e-5), p.bias.expand({3, 48}), 0, 0));
}

TEST_F(LayerNorm, ReadsStridedRowsAndCopiesOtherLayouts) {
  const at::Tensor wide = random_tensor({6, 100}, at::kFloat, 1.0, 50);
  const at::Tensor rows = wide.narrow(1, 10, 64);  // rows 100 apart, dense within
  const Params p = random_params(64, 51);
  EXPECT_TRUE(all_close(layer_norm(rows, p.weight, p.bias, 1e-5),
                        reference_layer_norm(rows, p, 1e-5), kFloatTolerance, kFloatTolerance));
  const at::Tensor columns = random_tensor({64, 6}, at::kFloat, 1.0, 52).t();
  EXPECT_TRUE(all_close(layer_norm(columns, p.weight, p.bias, 1e-5),
                        reference_layer_norm(columns, p, 1e-5), kFloatTolerance, kFloatTolerance));
}

TEST_F(LayerNorm, ResultDoesNotDependOnThreads) {
  const at::Tensor x = random_tensor({2, 1024, 320}, at::kBFloat16, 1.0, 60);
  const Params p = random_params(320, 61);
  const at::Tensor two_threads = layer_norm(x, p.weight, p.bias, 1e-5);
  at::set_num_threads(1);
  const at::Tensor one_thread = layer_norm(x, p.weight, p.bias, 1e-5);
  at::set_num_threads(2);
  EXPECT_TRUE(at::equal(one_thread, two_threads));
}

TEST_F(LayerNorm, RejectsBadArguments) {
  const at::Tensor x = random_tensor({2, 8}, at::kFloat, 1.0, 70);
  const Params p = random_params(8, 71);
  EXPECT_TRUE(throws_with([&] { layer_norm(x.to(at::kDouble), p.weight, p.bias, 1e-5); },
                          "float32 or bfloat16"));
  EXPECT_TRUE(throws_with([&] { layer_norm(x, p.weight.to(at::kBFloat16), p.bias, 1e-5); },
                          "must be float32"));
  EXPECT_TRUE(
      throws_with([&] { layer_norm(x, p.weight.narrow(0, 0, 4), p.bias, 1e-5); }, "must be [8]"));
  EXPECT_TRUE(
      throws_with([&] { layer_norm(x, p.weight, p.bias, -1.0); }, "eps must not be negative"));
  EXPECT_TRUE(throws_with(
      [&] {
        layer_norm(at::zeros({}, at::TensorOptions().dtype(at::kFloat)), p.weight, p.bias, 1e-5);
      },
      "channel dimension"));
}

}  // namespace
}  // namespace rendermart::diffusion
