#pragma once

// Every kernel body, and the table of their entry points for a vector type S. Include only from
// the per-ISA kernel files (kernels_*.cpp), inside their target region.

#include <cstdint>

#include "diffusion/kernels/attention_kernel.hpp"
#include "diffusion/kernels/gelu_kernel.hpp"
#include "diffusion/kernels/group_norm_kernel.hpp"
#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/layer_norm_kernel.hpp"

namespace rendermart::diffusion {
namespace {

// Constant: the tables are built at compile time, so that no code of a level runs before its
// CPU check.
template <typename S>
constexpr KernelTable kernel_table_of() {
  return {{&attention_f32<S>, &group_norm<S, float>, &group_norm_affine<S, float>,
           &normalize_rows<S, float>, &layer_norm<S, float>, &gelu<S, float>, &geglu<S, float>},
          {nullptr, &group_norm<S, std::uint16_t>, &group_norm_affine<S, std::uint16_t>,
           &normalize_rows<S, std::uint16_t>, &layer_norm<S, std::uint16_t>,
           &gelu<S, std::uint16_t>, &geglu<S, std::uint16_t>}};
}

}  // namespace
}  // namespace rendermart::diffusion
