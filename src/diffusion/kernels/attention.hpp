#pragma once

#include <ATen/core/Tensor.h>

namespace rendermart::diffusion {

// Multi-head scaled-dot-product attention, softmax(q kᵀ / sqrt(d)) v, per head.
// q: [B, Nq, heads*d], k and v: [B, Nk, heads*d]; contiguous; float32 or bfloat16 (all three the
// same). Returns [B, Nq, heads*d] in q's dtype. Thread-safe; uses the torch intra-op thread pool.
// Views whose last dimension is dense (slices of a fused QKV projection) are read in place; other
// layouts are copied first. bfloat16 is computed with float32 accumulation and softmax. Throws
// c10::Error for other shapes, dtypes or devices, and for Nk = 0.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads);

}  // namespace rendermart::diffusion
