#include "diffusion/runtime.hpp"

#include <link.h>
#include <unistd.h>

#include <ATen/Parallel.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "diffusion/caching_allocator.hpp"

namespace rendermart::diffusion {
namespace {

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

// The shared objects loaded in this process whose path contains `needle`.
bool library_loaded(const char* needle) {
  struct Search {
    const char* needle;
    bool found;
  } search{needle, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_name && std::string(info->dlpi_name).find(s->needle) != std::string::npos) {
          s->found = true;
        }
        return 0;
      },
      &search);
  return search.found;
}

// Debian's libblas.so.3 is an alternative: the reference BLAS (fp32 products at ~5 GFLOP/s)
// unless an optimised one such as OpenBLAS is installed.
std::string blas_in_use() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libblas.so") == std::string::npos) continue;
    const auto path = line.substr(line.find('/'));
    if (path.find("openblas") != std::string::npos) return "openblas";
    if (path.find("blis") != std::string::npos) return "blis";
    if (path.find("mkl") != std::string::npos) return "mkl";
    return "reference";
  }
  return library_loaded("openblas") ? "openblas" : "unknown";
}

std::size_t status_bytes(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

}  // namespace

void restart_with_huge_pages(char** argv) {
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::string tunables = current ? current : "";
  if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;
  tunables += (tunables.empty() ? "" : ":") + std::string("glibc.malloc.hugetlb=1");
  setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  execv("/proc/self/exe", argv);
  // The program cannot be run again (no /proc): it carries on with 4 KB pages.
}

std::string configure_runtime(int threads) {
  static std::once_flag once;
  std::call_once(once, [] {
    // Read by ATen when it first dispatches a kernel, so it must be set before any tensor work;
    // an explicit setting by the user wins.
    if (cpu_has_avx512()) setenv("ATEN_CPU_CAPABILITY", "avx512", 0);
    install_caching_allocator();
  });
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  const auto blas = blas_in_use();
  if (blas == "reference") {
    spdlog::warn("libtorch uses the reference BLAS: float32 generation will be 20-30 times slower; "
                 "install libopenblas0-openmp (scripts/install-deps.sh does) or use "
                 "RENDERMART_DIFFUSION_DTYPE=bfloat16");
  }
  const char* capability = std::getenv("ATEN_CPU_CAPABILITY");
  return "threads=" + std::to_string(at::get_num_threads()) +
         " cpu_capability=" + (capability ? capability : "default") + " blas=" + blas;
}

MemoryUsage memory_usage() {
  const auto stats = allocator_stats();
  return {status_bytes("VmRSS"), status_bytes("VmHWM"), stats.in_use_bytes,
          stats.peak_in_use_bytes, stats.cached_bytes};
}

}  // namespace rendermart::diffusion
