// main() of the torch benchmarks: runs torch the way the engine runs it on this kind of machine
// (docs/benchmarks.md, Debian's libtorch): the engine's runtime with two intra-op threads at the
// instruction set RENDERMART_CPU_ISA names (auto: the best the CPU has; it caps our kernels,
// ATen's and oneDNN's alike), huge pages for large allocations, since 4 KB page faults are very
// slow here, and OpenMP threads that sleep rather than spin between parallel regions, since on a
// shared machine a spinning thread loses its core to other processes and stalls every region for
// a time slice.

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "diffusion/kernels/kernel_isa.hpp"
#include "diffusion/runtime.hpp"

namespace {

constexpr const char* kHugePages = "glibc.malloc.hugetlb=1";

// glibc reads GLIBC_TUNABLES and libgomp reads OMP_WAIT_POLICY only at start-up, so the process
// runs itself again with them set; values already in the environment are kept.
void restart_with_environment(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const bool huge_pages = tunables != nullptr &&
                          std::string(tunables).find("glibc.malloc.hugetlb") != std::string::npos;
  if (huge_pages && std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (!huge_pages) {
    const std::string value =
        tunables == nullptr ? kHugePages : std::string(tunables) + ":" + kHugePages;
    setenv("GLIBC_TUNABLES", value.c_str(), 1);
  }
  setenv("OMP_WAIT_POLICY", "passive", 0);
  execv("/proc/self/exe", argv);
  std::perror("re-executing with GLIBC_TUNABLES and OMP_WAIT_POLICY set failed");
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_environment(argv);
  const char* isa = std::getenv("RENDERMART_CPU_ISA");
  const std::string runtime = rendermart::diffusion::configure_runtime(2, isa ? isa : "auto");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("runtime", runtime);
  benchmark::AddCustomContext(
      "kernel_isa",
      std::string(rendermart::diffusion::kernel_isa_name(rendermart::diffusion::kernel_isa())));
  for (const char* name : {"GLIBC_TUNABLES", "OMP_WAIT_POLICY", "ATEN_CPU_CAPABILITY"}) {
    const char* value = std::getenv(name);
    benchmark::AddCustomContext(name, value == nullptr ? "(unset)" : value);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
