#include "diffusion/runtime.hpp"

#include <link.h>
#include <unistd.h>

#include <ATen/Parallel.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "diffusion/caching_allocator.hpp"
#include "diffusion/kernels/kernel_isa.hpp"

namespace rendermart::diffusion {
namespace {

// ATen's name for the kernels it should dispatch to at a level (ATEN_CPU_CAPABILITY).
const char* aten_capability(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::portable: return "default";
    case KernelIsa::avx2: return "avx2";
    case KernelIsa::avx512:
    case KernelIsa::avx512_bf16: return "avx512";
  }
  return "default";
}

// oneDNN's name for the best instruction set it may use at a level below what the CPU has
// (ONEDNN_MAX_CPU_ISA); SSE4.1 is the least it has code for.
const char* onednn_max_isa(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::portable: return "SSE41";
    case KernelIsa::avx2: return "AVX2";
    case KernelIsa::avx512: return "AVX512_CORE";
    case KernelIsa::avx512_bf16: return "AVX512_CORE_BF16";
  }
  return "SSE41";
}

KernelIsa requested_isa(std::string_view name) {
  if (name == "auto") return detected_kernel_isa();
  const auto isa = kernel_isa_from_name(name);
  if (!isa) {
    throw invalid_argument("cpu_isa",
                           "RENDERMART_CPU_ISA must be auto, avx512_bf16, avx512, avx2 "
                           "or portable, got \"" +
                               std::string(name) + "\"");
  }
  if (*isa > detected_kernel_isa()) {
    throw invalid_argument("cpu_isa",
                           "RENDERMART_CPU_ISA=" + std::string(name) +
                               " needs instructions this CPU lacks: it supports at most " +
                               std::string(kernel_isa_name(detected_kernel_isa())) + " (use auto)");
  }
  return *isa;
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

std::string configure_runtime(int threads, std::string_view cpu_isa) {
  const KernelIsa isa = requested_isa(cpu_isa);
  static std::once_flag once;
  static KernelIsa configured_isa;
  std::call_once(once, [isa] {
    configured_isa = isa;
    limit_kernel_isa(isa);
    // Read by ATen when it first dispatches a kernel and by oneDNN when it first creates a
    // primitive, so they are set before any tensor work; an explicit ATEN_CPU_CAPABILITY wins.
    setenv("ATEN_CPU_CAPABILITY", aten_capability(isa), 0);
    if (isa < detected_kernel_isa()) setenv("ONEDNN_MAX_CPU_ISA", onednn_max_isa(isa), 1);
    install_caching_allocator();
  });
  if (isa != configured_isa) {
    throw invalid_argument("cpu_isa", "the engine already runs with RENDERMART_CPU_ISA=" +
                                          std::string(kernel_isa_name(configured_isa)) +
                                          ": the instruction set is fixed for the process");
  }
  const int n =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  const auto blas = blas_in_use();
  if (blas == "reference") {
    spdlog::warn(
        "libtorch uses the reference BLAS: float32 generation will be 20-30 times slower; "
        "install libopenblas0-openmp (scripts/install-deps.sh does) or use "
        "RENDERMART_DIFFUSION_DTYPE=bfloat16");
  }
  const char* capability = std::getenv("ATEN_CPU_CAPABILITY");
  return "threads=" + std::to_string(at::get_num_threads()) +
         " isa=" + std::string(kernel_isa_name(kernel_isa())) +
         " (cpu: " + std::string(kernel_isa_name(detected_kernel_isa())) +
         ") aten=" + (capability ? capability : "default") + " blas=" + blas;
}

MemoryUsage memory_usage() {
  const auto stats = allocator_stats();
  return {status_bytes("VmRSS"), status_bytes("VmHWM"), stats.in_use_bytes, stats.peak_in_use_bytes,
          stats.cached_bytes};
}

}  // namespace rendermart::diffusion
