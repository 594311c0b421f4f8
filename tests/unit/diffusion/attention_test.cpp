#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/attention.hpp"

#include <ATen/Parallel.h>
#include <ATen/ops/baddbmm.h>
#include <ATen/ops/bmm.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/softmax.h>
#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "unit/diffusion/tensor_checks.hpp"

namespace rendermart::diffusion {
namespace {

struct Shape {
  int64_t batch, queries, keys, heads, head_dim;
};

// The SD shapes with small token counts, plus sizes that are no multiple of the tiles: query tiles
// are 32, key blocks 64, micro-kernels 8 rows; head dims 40, 80, 160 are no multiple of 16.
const std::vector<Shape> kShapes = {
    {2, 256, 256, 8, 40},  // SD 1.5 self-attention (64x64 latents have 4096 tokens)
    {1, 100, 100, 8, 80},  // SD 1.5, 32x32 level
    {1, 64, 64, 8, 160},   // SD 1.5, 8x8 level
    {2, 130, 130, 5, 64},  // SD 2.x / SD-Turbo
    {2, 256, 77, 8, 40},   // cross-attention with the 77 text tokens
    {1, 96, 77, 10, 64},   // SD 2.x cross-attention
    {1, 33, 65, 2, 16},    // one past a query tile and a key block
    {1, 1, 1, 1, 8},       // one query, one key
    {1, 17, 129, 3, 3},    // an odd head dim
};

// softmax(q kᵀ / sqrt(d)) v per head in float64, with baddbmm, softmax and bmm.
at::Tensor reference_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               int heads) {
  const int64_t batch = q.size(0), queries = q.size(1), keys = k.size(1);
  const int64_t head_dim = q.size(2) / heads;
  const auto split_heads = [&](const at::Tensor& t, int64_t tokens) {
    return t.to(at::kDouble)
        .reshape({batch, tokens, heads, head_dim})
        .transpose(1, 2)
        .reshape({batch * heads, tokens, head_dim});
  };
  const at::Tensor scores =
      at::baddbmm(at::empty({batch * heads, queries, keys}, at::kDouble), split_heads(q, queries),
                  split_heads(k, keys).transpose(1, 2), 0.0, 1.0 / std::sqrt(double(head_dim)));
  return at::bmm(at::softmax(scores, -1), split_heads(v, keys))
      .reshape({batch, heads, queries, head_dim})
      .transpose(1, 2)
      .reshape({batch, queries, heads * head_dim});
}

struct Inputs {
  at::Tensor q, k, v;
};

// Queries scaled so that the softmax is peaked, as in a trained model.
Inputs random_inputs(const Shape& s, at::ScalarType dtype, uint64_t seed) {
  const int64_t width = s.heads * s.head_dim;
  return {random_tensor({s.batch, s.queries, width}, dtype, 2.0, seed),
          random_tensor({s.batch, s.keys, width}, dtype, 1.0, seed + 1),
          random_tensor({s.batch, s.keys, width}, dtype, 1.0, seed + 2)};
}

// float32 agrees with float64 to float32 rounding; bfloat16 to the rounding of the probabilities
// and of the output to bfloat16 (2^-8 relative).
constexpr double kFloatTolerance = 1e-5;
constexpr double kBfloatTolerance = 1e-2;

class Attention : public ::testing::Test {
 protected:
  Attention() { at::set_num_threads(2); }

  static void expect_matches_reference(at::ScalarType dtype, double tolerance) {
    uint64_t seed = 1;
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(::testing::Message()
                   << "batch " << s.batch << ", queries " << s.queries << ", keys " << s.keys
                   << ", heads " << s.heads << ", head dim " << s.head_dim);
      const Inputs in = random_inputs(s, dtype, seed += 3);
      const at::Tensor out = attention(in.q, in.k, in.v, static_cast<int>(s.heads));
      EXPECT_EQ(out.scalar_type(), dtype);
      EXPECT_TRUE(out.is_contiguous());
      EXPECT_TRUE(all_close(out, reference_attention(in.q, in.k, in.v, static_cast<int>(s.heads)),
                            tolerance, tolerance));
    }
  }
};

TEST_F(Attention, Float32MatchesReference) {
  expect_matches_reference(at::kFloat, kFloatTolerance);
}

TEST_F(Attention, Bfloat16MatchesReference) {
  expect_matches_reference(at::kBFloat16, kBfloatTolerance);
}

TEST_F(Attention, LargerSelfAttentionMatchesReference) {
  const Shape s{1, 1024, 1024, 8, 40};
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const Inputs in = random_inputs(s, dtype, 40);
    EXPECT_TRUE(all_close(attention(in.q, in.k, in.v, 8), reference_attention(in.q, in.k, in.v, 8),
                          dtype == at::kFloat ? kFloatTolerance : kBfloatTolerance,
                          dtype == at::kFloat ? kFloatTolerance : kBfloatTolerance));
  }
}

TEST_F(Attention, HugeScoresStayFinite) {
  // Scores in the thousands: the running max must be subtracted before exponentiation, and
  // earlier key blocks rescaled when a later block raises it.
  const Shape s{1, 40, 200, 2, 64};
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    Inputs in = random_inputs(s, dtype, 50);
    in.q = in.q * 60;
    const at::Tensor out = attention(in.q, in.k, in.v, 2);
    EXPECT_TRUE(out.isfinite().all().item<bool>());
    EXPECT_TRUE(all_close(out, reference_attention(in.q, in.k, in.v, 2),
                          dtype == at::kFloat ? 1e-4 : kBfloatTolerance,
                          dtype == at::kFloat ? 1e-4 : kBfloatTolerance));
  }
}

TEST_F(Attention, ReadsSlicesOfAFusedProjectionInPlace) {
  // q, k and v as the three thirds of one [B, N, 3 * width] projection: rows are 3 * width apart.
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor qkv = random_tensor({2, 70, 3 * 4 * 40}, dtype, 1.0, 60);
    const std::vector<at::Tensor> parts = qkv.chunk(3, -1);
    ASSERT_FALSE(parts[0].is_contiguous());
    const at::Tensor out = attention(parts[0], parts[1], parts[2], 4);
    EXPECT_TRUE(all_close(out, reference_attention(parts[0], parts[1], parts[2], 4),
                          dtype == at::kFloat ? kFloatTolerance : kBfloatTolerance,
                          dtype == at::kFloat ? kFloatTolerance : kBfloatTolerance));
  }
}

TEST_F(Attention, CopiesInputsWithoutDenseRows) {
  const at::Tensor q = random_tensor({1, 320, 50}, at::kFloat, 1.0, 70).transpose(1, 2);
  const at::Tensor k = random_tensor({1, 320, 77}, at::kFloat, 1.0, 71).transpose(1, 2);
  const at::Tensor v = random_tensor({1, 77, 320}, at::kFloat, 1.0, 72);
  ASSERT_NE(q.stride(2), 1);
  EXPECT_TRUE(all_close(attention(q, k, v, 8), reference_attention(q, k, v, 8), kFloatTolerance,
                        kFloatTolerance));
}

TEST_F(Attention, WeakerLevelsMatchTheReferenceToTheSameTolerance) {
  for_each_weaker_level([] {
    expect_matches_reference(at::kFloat, kFloatTolerance);
    expect_matches_reference(at::kBFloat16, kBfloatTolerance);
  });
}

TEST_F(Attention, Bfloat16WithoutAvx512Bf16IsComputedInFloat32) {
  const Inputs in = random_inputs({2, 256, 77, 8, 40}, at::kBFloat16, 80);
  const IsaLimit limit(KernelIsa::avx512);
  const at::Tensor in_float32 =
      attention(in.q.to(at::kFloat), in.k.to(at::kFloat), in.v.to(at::kFloat), 8);
  EXPECT_TRUE(at::equal(attention(in.q, in.k, in.v, 8), in_float32.to(at::kBFloat16)));
}

TEST_F(Attention, ResultDoesNotDependOnThreads) {
  const Inputs in = random_inputs({2, 200, 150, 8, 40}, at::kFloat, 90);
  const at::Tensor two_threads = attention(in.q, in.k, in.v, 8);
  at::set_num_threads(1);
  const at::Tensor one_thread = attention(in.q, in.k, in.v, 8);
  at::set_num_threads(2);
  EXPECT_TRUE(at::equal(one_thread, two_threads));
}

TEST_F(Attention, ConcurrentCallersGetTheirOwnResults) {
  struct Call {
    Inputs in;
    int heads;
    at::Tensor expected;
  };
  std::vector<Call> calls = {{random_inputs({1, 300, 77, 5, 64}, at::kFloat, 91), 5, {}},
                             {random_inputs({2, 64, 64, 8, 160}, at::kBFloat16, 92), 8, {}}};
  for (Call& c : calls) c.expected = attention(c.in.q, c.in.k, c.in.v, c.heads);
  std::vector<std::vector<at::Tensor>> results(calls.size());
  std::vector<std::thread> callers;
  for (size_t t = 0; t < calls.size(); ++t) {
    callers.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        results[t].push_back(
            attention(calls[t].in.q, calls[t].in.k, calls[t].in.v, calls[t].heads));
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (size_t t = 0; t < calls.size(); ++t) {
    for (const at::Tensor& out : results[t]) EXPECT_TRUE(at::equal(out, calls[t].expected));
  }
}

TEST_F(Attention, EmptyBatchOrQueriesGiveEmptyResults) {
  const at::Tensor k = random_tensor({0, 5, 16}, at::kFloat, 1.0, 100);
  EXPECT_EQ(attention(random_tensor({0, 3, 16}, at::kFloat, 1.0, 101), k, k, 2).sizes(),
            (at::IntArrayRef{0, 3, 16}));
  const at::Tensor k1 = random_tensor({1, 5, 16}, at::kFloat, 1.0, 102);
  EXPECT_EQ(attention(random_tensor({1, 0, 16}, at::kFloat, 1.0, 103), k1, k1, 2).sizes(),
            (at::IntArrayRef{1, 0, 16}));
}

TEST_F(Attention, RejectsBadArguments) {
  const at::Tensor q = random_tensor({1, 4, 16}, at::kFloat, 1.0, 110);
  const at::Tensor k = random_tensor({1, 6, 16}, at::kFloat, 1.0, 111);
  EXPECT_TRUE(throws_with([&] { attention(q, k, k.to(at::kBFloat16), 2); }, "one dtype"));
  EXPECT_TRUE(
      throws_with([&] { attention(q.to(at::kDouble), k.to(at::kDouble), k.to(at::kDouble), 2); },
                  "float32 or bfloat16"));
  EXPECT_TRUE(throws_with([&] { attention(q, k, k, 3); }, "whole number of heads"));
  EXPECT_TRUE(throws_with([&] { attention(q, k, k, 0); }, "whole number of heads"));
  EXPECT_TRUE(throws_with([&] { attention(q.reshape({4, 16}), k, k, 2); }, "[batch, tokens"));
  EXPECT_TRUE(throws_with([&] { attention(q, k, k.narrow(1, 0, 5), 2); }, "same number of tokens"));
  EXPECT_TRUE(
      throws_with([&] { attention(q, k.narrow(2, 0, 8), k.narrow(2, 0, 8), 2); }, "same width"));
  EXPECT_TRUE(throws_with(
      [&] {
        attention(q, k.expand({2, 6, 16}), k.expand({2, 6, 16}), 2);
      },
      "same batch size"));
  EXPECT_TRUE(throws_with([&] { attention(q, k.narrow(1, 0, 0), k.narrow(1, 0, 0), 2); },
                          "at least one key"));
}

}  // namespace
}  // namespace rendermart::diffusion
