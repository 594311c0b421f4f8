// Fused attention (src/diffusion/kernels/attention.cpp) against the plain torch ops it replaces
// (baddbmm, softmax, bmm and the head reshapes: its portable path), on the attention shapes of a
// 512x512 image: SD 1.5 with classifier-free guidance (batch 2, 8 heads) and SD-Turbo (SD 2.x
// architecture, batch 1, heads of 64).

#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/randn.h>
#include <benchmark/benchmark.h>

#include <string>

#include "diffusion/kernels/attention.hpp"
#include "diffusion/kernels/kernel_isa.hpp"

namespace rendermart::diffusion {
namespace {

// Peak FLOP rates of the development machine's two cores (docs/benchmarks.md): FMA and vdpbf16ps.
constexpr double kPeakFloat32 = 380e9;
constexpr double kPeakBfloat16 = 740e9;

struct Shape {
  const char* name;
  int64_t batch, queries, keys, heads, head_dim;
};

const Shape kShapes[] = {
    {"sd15_self_4096", 2, 4096, 4096, 8, 40},   {"sd15_self_1024", 2, 1024, 1024, 8, 80},
    {"sd15_self_256", 2, 256, 256, 8, 160},     {"sd15_self_64", 2, 64, 64, 8, 160},
    {"sd15_cross_4096", 2, 4096, 77, 8, 40},    {"sd15_cross_1024", 2, 1024, 77, 8, 80},
    {"sd15_cross_256", 2, 256, 77, 8, 160},     {"sd15_cross_64", 2, 64, 77, 8, 160},
    {"turbo_self_4096", 1, 4096, 4096, 5, 64},  {"turbo_self_1024", 1, 1024, 1024, 10, 64},
    {"turbo_self_256", 1, 256, 256, 20, 64},    {"turbo_self_64", 1, 64, 64, 20, 64},
    {"turbo_cross_4096", 1, 4096, 77, 5, 64},   {"turbo_cross_1024", 1, 1024, 77, 10, 64},
    {"turbo_cross_256", 1, 256, 77, 20, 64},    {"turbo_cross_64", 1, 64, 77, 20, 64},
};

at::Tensor random_tensor(at::IntArrayRef sizes, at::ScalarType dtype, uint64_t seed) {
  return at::randn(sizes, at::detail::createCPUGenerator(seed)).to(dtype);
}

void run(benchmark::State& state, const Shape& s, at::ScalarType dtype, KernelIsa isa) {
  const int64_t width = s.heads * s.head_dim;
  const at::Tensor q = random_tensor({s.batch, s.queries, width}, dtype, 1);
  const at::Tensor k = random_tensor({s.batch, s.keys, width}, dtype, 2);
  const at::Tensor v = random_tensor({s.batch, s.keys, width}, dtype, 3);
  limit_kernel_isa(isa);
  for (auto _ : state) {
    const at::Tensor out = attention(q, k, v, static_cast<int>(s.heads));
    benchmark::DoNotOptimize(out.data_ptr());
  }
  limit_kernel_isa(KernelIsa::avx512_bf16);
  // q kᵀ and p v: two multiply-adds per query, key and channel.
  const double flops = 4.0 * s.batch * s.queries * s.keys * width;
  const double peak = dtype == at::kFloat ? kPeakFloat32 : kPeakBfloat16;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["of_peak"] = benchmark::Counter(flops / peak, benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  for (const Shape& s : kShapes) {
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      for (const KernelIsa isa : {KernelIsa::avx512_bf16, KernelIsa::portable}) {
        const std::string name = std::string("attention/") + s.name + "/" +
                                 (dtype == at::kFloat ? "f32" : "bf16") + "/" +
                                 (isa == KernelIsa::portable ? "torch" : "fused");
        benchmark::RegisterBenchmark(name.c_str(), run, s, dtype, isa)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
}  // namespace rendermart::diffusion
