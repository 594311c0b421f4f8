// The machine's peak multiply-add rate, the yardstick of the diffusion benchmarks: float32 FMA on
// 256-bit (AVX2) and 512-bit (AVX-512) vectors and bfloat16 vdpbf16ps (AVX512-BF16), on N
// threads at once, each with enough independent accumulators to fill both FMA pipes. Prints one
// JSON object: GFLOP/s per instruction set the CPU has, best and median of the runs.
//
//   fma_peak [--threads N] [--runs N]

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

// GCC 12 warns about the deliberately undefined registers inside its own AVX-512 intrinsics once
// they are inlined (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

constexpr int kAccumulators = 12;          // latency 4 x 2 pipes, with room to spare
constexpr long kIterations = 200'000'000;  // about half a second a run

// Each returns a value so that the loop is not optimised away. Multiply-adds on values close to 1
// stay finite however long the loop runs.
__attribute__((target("avx2,fma"))) float fma_avx2() {
  __m256 acc[kAccumulators];
  for (auto& a : acc) a = _mm256_set1_ps(1.0f);
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm256_fmadd_ps(a, b, c);
  }
  __m256 sum = acc[0];
  for (int k = 1; k < kAccumulators; ++k) sum = _mm256_add_ps(sum, acc[k]);
  return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx512f,fma"))) float fma_avx512() {
  __m512 acc[kAccumulators];
  for (auto& a : acc) a = _mm512_set1_ps(1.0f);
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm512_fmadd_ps(a, b, c);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < kAccumulators; ++k) sum = _mm512_add_ps(sum, acc[k]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx512f,avx512bf16"))) float dot_bf16() {
  __m512 acc[kAccumulators];
  for (auto& a : acc) a = _mm512_setzero_ps();
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-9f), _mm512_set1_ps(1e-9f));
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12
    for (auto& a : acc) a = _mm512_dpbf16_ps(a, b, b);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < kAccumulators; ++k) sum = _mm512_add_ps(sum, acc[k]);
  return _mm512_reduce_add_ps(sum);
}

// GFLOP/s of `threads` threads running `kernel` at once; one multiply-add per lane is 2 FLOPs
// (vdpbf16ps: 2 per lane and pair, 4).
double rate(float (*kernel)(), int threads, double flops_per_lane_step, int lanes) {
  std::vector<std::thread> workers;
  std::vector<float> sink(static_cast<std::size_t>(threads));
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) workers.emplace_back([&, t] { sink[t] = kernel(); });
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (sink[0] == 12345.0f) std::puts("");
  return threads * flops_per_lane_step * lanes * kAccumulators * static_cast<double>(kIterations) /
         seconds / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  struct Kind {
    const char* name;
    bool available;
    float (*kernel)();
    double flops;
    int lanes;
  };
  __builtin_cpu_init();
  const Kind kinds[] = {
      {"avx2_fp32", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"), fma_avx2, 2,
       8},
      {"avx512_fp32", __builtin_cpu_supports("avx512f") != 0, fma_avx512, 2, 16},
      {"avx512_bf16", __builtin_cpu_supports("avx512bf16") != 0, dot_bf16, 4, 16},
  };
  std::string out = "{\"threads\": " + std::to_string(threads);
  for (const Kind& k : kinds) {
    if (!k.available) continue;
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) rates.push_back(rate(k.kernel, threads, k.flops, k.lanes));
    std::sort(rates.begin(), rates.end());
    char entry[160];
    std::snprintf(entry, sizeof entry, ", \"%s\": {\"best\": %.1f, \"median\": %.1f}", k.name,
                  rates.back(), rates[rates.size() / 2]);
    out += entry;
  }
  std::puts((out + "}").c_str());
}
