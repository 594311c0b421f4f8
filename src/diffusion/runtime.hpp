#pragma once

// Process-wide settings the engine needs to be fast with Debian's libtorch, applied by the engine
// itself so that nobody has to know them: intra-op threads (libtorch defaults to 1), one
// instruction set for our kernels, ATen's and oneDNN's (libtorch picks AVX2 on AVX-512 CPUs unless
// told), the caching allocator (4 KB page faults; see also restart_with_huge_pages), and a warning
// when fp32 matrix products would run on the reference BLAS. Torch-free header.

#include <cstddef>
#include <string>
#include <string_view>

namespace rendermart::diffusion {

// glibc hands large freed blocks back to the system and faults them in again with 4 KB pages, and
// oneDNN allocates buffers on every convolution: in VMs that costs as much as the compute. With
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1 malloc asks for transparent huge pages; glibc reads it
// only when a program starts, so this runs the program again (execv) with it added, unless it is
// there already. Call first thing in main, before any thread or file is opened.
void restart_with_huge_pages(char** argv);

// Applies the settings; call before any other engine function. threads 0: one per CPU core.
// cpu_isa: "auto" (the best the CPU has) or a KernelIsa name ("portable", "avx2", "avx512",
// "avx512_bf16") that caps the instruction set of the engine's kernels, of ATen (unless
// ATEN_CPU_CAPABILITY is set) and of oneDNN, so that a CPU can run the code paths of weaker ones.
// The libraries read their cap once, so only the first call sets it; later calls change the
// thread count and must name the same cpu_isa. Throws Error(invalid_argument, "cpu_isa") for an
// unknown name, a level this CPU lacks, or another cap than the first call's. Returns a line
// describing the runtime, for the log.
std::string configure_runtime(int threads, std::string_view cpu_isa = "auto");

struct MemoryUsage {
  std::size_t resident_bytes = 0;       // the process's RSS now
  std::size_t peak_resident_bytes = 0;  // its high-water mark
  std::size_t tensor_bytes = 0;  // large tensor blocks in use (activations, converted weights)
  std::size_t peak_tensor_bytes = 0;
  std::size_t cached_bytes = 0;  // blocks kept for reuse
};
MemoryUsage memory_usage();

}  // namespace rendermart::diffusion
