#pragma once

// The GroupNorm(+SiLU) kernel of the engine: every GroupNorm of the UNet and the VAE calls it, so
// that one fused implementation can replace the plain one.

#include <ATen/ATen.h>

namespace rendermart::diffusion {

// GroupNorm over [N, C, H, W] (contiguous or channels-last) with per-channel affine weight and
// bias (float32), then SiLU when `silu` is true. Returns a tensor of x's dtype and memory format.
at::Tensor group_norm(const at::Tensor& x, int groups, const at::Tensor& weight,
                      const at::Tensor& bias, double eps, bool silu);

}  // namespace rendermart::diffusion
