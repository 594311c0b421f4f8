#pragma once

#include <ATen/core/Tensor.h>

namespace rendermart::diffusion {

// GroupNorm over [N, C, H, W] (contiguous or channels-last) with per-channel affine weight and
// bias (float32), then SiLU when `silu` is true. Returns a tensor of x's dtype and memory format.
// x is float32 or bfloat16; bfloat16 is computed in float32 and rounded once. Other layouts are
// copied to contiguous first. Throws c10::Error for other shapes, dtypes or devices.
at::Tensor group_norm(const at::Tensor& x, int groups, const at::Tensor& weight,
                      const at::Tensor& bias, double eps, bool silu);

}  // namespace rendermart::diffusion
