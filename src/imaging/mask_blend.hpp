#pragma once

// Laying an edited picture over its source through a mask, with the mask's edge blurred as
// AUTOMATIC1111's "Mask blur" does, so that the repainted area has no seam and the rest keeps
// the source's own pixels.

#include <vector>

#include "core/domain.hpp"

namespace rendermart {

// One weight per pixel, 0 (keep) .. 1 (repaint): the mask's brightness (the mean of its
// channels) for repaint_white, else its complement (outpainting repaints what the mask leaves
// black), blurred by a Gaussian whose standard deviation is `blur` pixels (AUTOMATIC1111's:
// 2 * int(2.5 * blur + 0.5) + 1 taps, edges mirrored; 0: unblurred).
std::vector<float> mask_weights(const RawImage& mask, int blur, bool repaint_white);

// Each pixel of `source` moved toward `edited` by its weight; repainted pixels become opaque
// where the source has an alpha plane. All three have the source's size (Error(internal)
// otherwise).
RawImage blend_masked(const RawImage& source, const RawImage& edited,
                      const std::vector<float>& weights);

}  // namespace rendermart
