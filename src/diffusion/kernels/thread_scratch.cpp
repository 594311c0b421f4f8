#include "diffusion/kernels/thread_scratch.hpp"

#include <memory>
#include <new>

namespace rendermart::diffusion {

float* thread_scratch(std::size_t floats) {
  struct AlignedDelete {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  thread_local std::unique_ptr<float[], AlignedDelete> buffer;
  thread_local std::size_t capacity = 0;
  if (capacity < floats) {
    buffer.reset(
        static_cast<float*>(::operator new[](floats * sizeof(float), std::align_val_t{64})));
    capacity = floats;
  }
  return buffer.get();
}

}  // namespace rendermart::diffusion
