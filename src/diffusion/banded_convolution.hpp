#pragma once

// Convolutions over whole images computed a band of output rows at a time, so that what they
// read (a normalized or upsampled copy of their input) exists only one band at a time. At
// 1024x1024 each activation of a VAE decoder's last levels is 0.5 to 1 GiB in float32; computed
// whole, a ResnetBlock holds four of them at once. Each output row reads the same input rows as
// in the whole-image form, so the results are those of conv2d over the whole image.
//
// The convolutions must be unpacked, with stride 1 and the padding of their kernel.

#include <ATen/ATen.h>

#include "diffusion/layers.hpp"

namespace rendermart::diffusion {

// conv(SiLU(norm(x))), plus `residual` (through `shortcut` when there is one) when it is
// defined. Written into `out` when it is defined (it may be `residual` itself: a band reads only
// its own rows of the residual), else into a new tensor. x channels-last.
at::Tensor norm_silu_conv_in_bands(const GroupNorm& norm, const Conv2d& conv, const at::Tensor& x,
                                   const at::Tensor& residual = {},
                                   const Conv2d* shortcut = nullptr, at::Tensor out = {});

// conv(nearest-neighbour 2x upsampling of x). x channels-last.
at::Tensor upsample_conv_in_bands(const Conv2d& conv, const at::Tensor& x);

// A ResnetBlock without time embedding (a VAE's). The result takes x's memory when it has no
// more channels than x and nothing else holds x.
at::Tensor resnet_in_bands(const ResnetBlock& block, at::Tensor x);

}  // namespace rendermart::diffusion
