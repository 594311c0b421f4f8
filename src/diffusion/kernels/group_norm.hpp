#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rendermart::diffusion {

// GroupNorm over [N, C, H, W] (contiguous or channels-last) with per-channel affine weight and
// bias (float32), then SiLU when `silu` is true. Returns a tensor of x's dtype and memory format.
// x is float32 or bfloat16; bfloat16 is computed in float32 and rounded once. Other layouts are
// copied to contiguous first. Throws c10::Error for other shapes, dtypes or devices.
at::Tensor group_norm(const at::Tensor& x, int groups, const at::Tensor& weight,
                      const at::Tensor& bias, double eps, bool silu);

// A GroupNorm's statistics over a channels-last x, kept to normalize x a few rows at a time (as
// banded convolutions do, so that a large normalized tensor never exists whole): float32
// [N, C] tensors of the per-channel affine map that group_norm applies.
struct GroupNormAffine {
  at::Tensor center, scale, shift;
};
GroupNormAffine group_norm_affine(const at::Tensor& x, int groups, const at::Tensor& weight,
                                  const at::Tensor& bias, double eps);

// Writes into `out` the rows `rows` of image `image` of the tensor that `affine` was made from,
// normalized (then SiLU when `silu`): both [1, C, h, W], channels-last and dense, of the dtype
// of that tensor.
void normalize_rows(const at::Tensor& rows, const GroupNormAffine& affine, std::int64_t image,
                    bool silu, const at::Tensor& out);

}  // namespace rendermart::diffusion
