#pragma once

// A cheap picture of latents for progress previews: each latent pixel becomes one RGB pixel by a
// fixed linear map fitted to SD 1.x/2.x latents, so that a preview costs microseconds, not a VAE
// decode.

#include <ATen/ATen.h>

#include "core/domain.hpp"

namespace rendermart::diffusion {

// latents: float32 [1, 4, h, w] (as the UNet makes them) -> an h x w RGB image.
RawImage latent_preview(const at::Tensor& latents);

}  // namespace rendermart::diffusion
