#pragma once

// The GELU kernels of the engine: the exact (erf) GELU of the text encoder's MLPs and the gated
// GELU of the UNet's feed-forward layers (diffusers' GEGLU), each one pass over its input instead
// of torch's gelu, bias addition and multiplication with their temporaries.

#include <ATen/core/Tensor.h>

namespace rendermart::diffusion {

// exact_gelu(x) = x * (1 + erf(x / sqrt 2)) / 2 elementwise. Returns a contiguous tensor of x's
// shape and dtype; float32 or bfloat16 (computed in float32, rounded once). Throws c10::Error for
// other dtypes or devices.
at::Tensor exact_gelu(const at::Tensor& x);

// For p = projected + bias = [..., 2 * inner] (bias [2 * inner] of projected's dtype, or
// undefined for none): p[..., :inner] * gelu(p[..., inner:]). Returns a contiguous
// [..., inner] tensor of projected's dtype; float32 or bfloat16 (computed in float32, rounded
// once). Taking the bias here saves the linear layer a pass over its largest output. Throws
// c10::Error for an odd last dimension, a bias of another size or dtype, other dtypes or devices.
at::Tensor geglu(const at::Tensor& projected, const at::Tensor& bias);

}  // namespace rendermart::diffusion
