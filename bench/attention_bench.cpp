// Fused attention (src/diffusion/kernels/attention.cpp, at the instruction set of the run: see
// torch_bench_main.cpp) against the plain torch ops it replaces (one matrix product per head,
// softmax, a second product, the head reshapes), on the attention shapes of a 512x512 image: SD
// 1.5 with classifier-free guidance (batch 2, 8 heads) and SD-Turbo (SD 2.x architecture, batch
// 1, heads of 64). kernels_bench.py divides the GFLOP/s by the machine's measured peak.

#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/softmax.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "diffusion/engine.hpp"
#include "diffusion/kernels/attention.hpp"

namespace rendermart::diffusion {
namespace {

struct Shape {
  const char* name;
  int64_t batch, queries, keys, heads, head_dim;
};

const Shape kShapes[] = {
    {"sd15_self_4096", 2, 4096, 4096, 8, 40},  {"sd15_self_1024", 2, 1024, 1024, 8, 80},
    {"sd15_self_256", 2, 256, 256, 8, 160},    {"sd15_self_64", 2, 64, 64, 8, 160},
    {"sd15_cross_4096", 2, 4096, 77, 8, 40},   {"sd15_cross_1024", 2, 1024, 77, 8, 80},
    {"sd15_cross_256", 2, 256, 77, 8, 160},    {"sd15_cross_64", 2, 64, 77, 8, 160},
    {"turbo_self_4096", 1, 4096, 4096, 5, 64}, {"turbo_self_1024", 1, 1024, 1024, 10, 64},
    {"turbo_self_256", 1, 256, 256, 20, 64},   {"turbo_self_64", 1, 64, 64, 20, 64},
    {"turbo_cross_4096", 1, 4096, 77, 5, 64},  {"turbo_cross_1024", 1, 1024, 77, 10, 64},
    {"turbo_cross_256", 1, 256, 77, 20, 64},   {"turbo_cross_64", 1, 64, 77, 20, 64},
};

at::Tensor random_tensor(at::IntArrayRef sizes, at::ScalarType dtype, uint64_t seed) {
  return at::randn(sizes, at::detail::createCPUGenerator(seed)).to(dtype);
}

// The score matrix of one chunk of the torch computation stays under this many elements, as a
// 1024x1024 image (16,384 tokens) would need gigabytes for softmax(q kᵀ) at once.
constexpr int64_t kMaxScoreElements = int64_t{1} << 24;

// The computation in plain torch ops, in the input dtype: one matrix product per head, as
// libtorch 1.13's batched products (bmm) do not reach BLAS or oneDNN's fast paths.
at::Tensor torch_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int heads) {
  const int64_t batch = q.size(0), queries = q.size(1), keys = k.size(1);
  const int64_t head_dim = q.size(2) / heads;
  const auto split_heads = [&](const at::Tensor& t, int64_t tokens) {
    return t.reshape({batch, tokens, heads, head_dim})
        .permute({0, 2, 1, 3})
        .reshape({batch * heads, tokens, head_dim});
  };
  const at::Tensor qh = split_heads(q, queries).mul(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const at::Tensor kh = split_heads(k, keys);
  const at::Tensor vh = split_heads(v, keys);
  at::Tensor out = at::empty({batch * heads, queries, head_dim}, q.options());
  const int64_t rows = std::max<int64_t>(1, kMaxScoreElements / keys);
  for (int64_t h = 0; h < batch * heads; ++h) {
    const at::Tensor key_t = kh[h].t();
    for (int64_t start = 0; start < queries; start += rows) {
      const int64_t length = std::min(rows, queries - start);
      const at::Tensor probs = at::softmax(at::mm(qh[h].narrow(0, start, length), key_t), -1);
      at::Tensor target = out[h].narrow(0, start, length);
      at::mm_out(target, probs, vh[h]);
    }
  }
  return out.view({batch, heads, queries, head_dim})
      .permute({0, 2, 1, 3})
      .reshape({batch, queries, heads * head_dim});
}

void run(benchmark::State& state, const Shape& s, at::ScalarType dtype, bool fused) {
  // Below AVX512-BF16 the engine refuses bfloat16, and oneDNN has no bfloat16 products for torch.
  if (dtype == at::kBFloat16 && !bfloat16_supported()) {
    state.SkipWithError("bfloat16 needs AVX-512 BF16");
    return;
  }
  const int64_t width = s.heads * s.head_dim;
  const at::Tensor q = random_tensor({s.batch, s.queries, width}, dtype, 1);
  const at::Tensor k = random_tensor({s.batch, s.keys, width}, dtype, 2);
  const at::Tensor v = random_tensor({s.batch, s.keys, width}, dtype, 3);
  const int heads = static_cast<int>(s.heads);
  for (auto _ : state) {
    const at::Tensor out = fused ? attention(q, k, v, heads) : torch_attention(q, k, v, heads);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  // q kᵀ and p v: two multiply-adds per query, key and channel.
  const double flops = 4.0 * s.batch * s.queries * s.keys * width;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  for (const Shape& s : kShapes) {
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      for (const bool fused : {true, false}) {
        const std::string name = std::string("attention/") + s.name + "/" +
                                 (dtype == at::kFloat ? "f32" : "bf16") + "/" +
                                 (fused ? "fused" : "torch");
        benchmark::RegisterBenchmark(name.c_str(), run, s, dtype, fused)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
}  // namespace rendermart::diffusion
