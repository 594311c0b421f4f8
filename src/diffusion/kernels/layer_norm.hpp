#pragma once

// The LayerNorm kernel of the engine: every LayerNorm of the UNet's transformer blocks and of the
// text encoder calls it.

#include <ATen/core/Tensor.h>

namespace rendermart::diffusion {

// LayerNorm over the last dimension of x ([..., C]) with per-channel affine weight and bias
// (float32 [C]). Returns a contiguous tensor of x's dtype and shape. x is float32 or bfloat16;
// bfloat16 is computed in float32 and rounded once. Views whose rows are dense are read in place,
// other layouts are copied first. Throws c10::Error for other shapes, dtypes or devices.
at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      double eps);

}  // namespace rendermart::diffusion
