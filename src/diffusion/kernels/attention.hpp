#pragma once

// The attention kernel of the engine: every attention site of the UNet, the VAE and the text
// encoder calls it, so that one fused implementation can replace the plain one.

#include <ATen/ATen.h>

namespace rendermart::diffusion {

// Multi-head scaled-dot-product attention, softmax(q kᵀ / sqrt(d)) v, per head.
// q: [B, Nq, heads*d], k and v: [B, Nk, heads*d]; contiguous; float32 or bfloat16 (all three the
// same). Returns [B, Nq, heads*d] in q's dtype. Thread-safe; uses the torch intra-op thread pool.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads);

}  // namespace rendermart::diffusion
