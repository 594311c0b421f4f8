#pragma once

#include <cstddef>

namespace rendermart::diffusion {

// At least `floats` floats, 64-byte aligned, owned by the calling thread and reused by its later
// calls (the buffer only grows), so that hot loops neither allocate nor page-fault. The contents
// are unspecified; the pointer is valid until this thread calls thread_scratch again.
float* thread_scratch(std::size_t floats);

}  // namespace rendermart::diffusion
