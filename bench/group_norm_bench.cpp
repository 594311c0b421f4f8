// Fused GroupNorm + SiLU (src/diffusion/kernels/group_norm.cpp) against the plain torch ops it
// replaces (at::group_norm, then at::silu, in the input's dtype with weights of that dtype), on
// the shapes of a 512x512 image: the SD 1.5 UNet with classifier-free guidance (batch 2) and the
// VAE decoder (batch 1), contiguous and channels-last.

#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/group_norm.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/silu.h>
#include <benchmark/benchmark.h>

#include <string>

#include "diffusion/kernels/group_norm.hpp"

namespace rendermart::diffusion {
namespace {

// Memory bandwidth of the development machine (docs/benchmarks.md).
constexpr double kBandwidth = 53e9;

struct Shape {
  const char* name;
  int64_t batch, channels, height, width;
};

const Shape kShapes[] = {
    {"unet_320x64x64", 2, 320, 64, 64},    {"unet_640x32x32", 2, 640, 32, 32},
    {"unet_1280x16x16", 2, 1280, 16, 16},  {"unet_1280x8x8", 2, 1280, 8, 8},
    {"vae_512x64x64", 1, 512, 64, 64},     {"vae_512x128x128", 1, 512, 128, 128},
    {"vae_256x256x256", 1, 256, 256, 256}, {"vae_128x512x512", 1, 128, 512, 512},
};
constexpr int kGroups = 32;

at::Tensor random_tensor(at::IntArrayRef sizes, uint64_t seed) {
  return at::randn(sizes, at::detail::createCPUGenerator(seed));
}

void run(benchmark::State& state, const Shape& s, at::ScalarType dtype, at::MemoryFormat format,
         bool fused) {
  const at::Tensor x =
      random_tensor({s.batch, s.channels, s.height, s.width}, 1).to(dtype).contiguous(format);
  const at::Tensor weight = random_tensor({s.channels}, 2);
  const at::Tensor bias = random_tensor({s.channels}, 3);
  const at::Tensor torch_weight = weight.to(dtype);
  const at::Tensor torch_bias = bias.to(dtype);
  for (auto _ : state) {
    const at::Tensor y = fused
                             ? group_norm(x, kGroups, weight, bias, 1e-5, true)
                             : at::silu(at::group_norm(x, kGroups, torch_weight, torch_bias, 1e-5));
    benchmark::DoNotOptimize(y.data_ptr());
  }
  // The least traffic possible: x read once, y written once.
  const double bytes = 2.0 * static_cast<double>(x.nbytes());
  state.counters["GB/s"] =
      benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["of_bandwidth"] =
      benchmark::Counter(bytes / kBandwidth, benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  for (const Shape& s : kShapes) {
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      for (const at::MemoryFormat format :
           {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
        for (const bool fused : {true, false}) {
          const std::string name = std::string("group_norm_silu/") + s.name + "/" +
                                   (dtype == at::kFloat ? "f32" : "bf16") + "/" +
                                   (format == at::MemoryFormat::Contiguous ? "nchw" : "nhwc") +
                                   "/" + (fused ? "fused" : "torch");
          benchmark::RegisterBenchmark(name.c_str(), run, s, dtype, format, fused)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
      }
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
}  // namespace rendermart::diffusion
