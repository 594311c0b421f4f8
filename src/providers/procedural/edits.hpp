#pragma once

// What the built-in generator does to a picture it is given: plain pixel arithmetic, not a
// model. Restyling and filling blend the source with the generator's own rendering of the
// prompt; background removal floods the picture's plain surroundings from its borders.

#include "core/domain.hpp"

namespace rendermart::procedural {

// source + (rendering - source) * weight, where weight is `strength` (image_to_image) for every
// pixel. Both images have the same size; the source's alpha plane is kept.
RawImage blend(const RawImage& source, const RawImage& rendering, double strength);

// Each pixel moves toward the rendering as far as the mask says: mask brightness (white: all the
// way) for inpaint, its complement for outpaint (which repaints what the mask leaves black). The
// mask is softened by a box blur of `blur` pixels first, so that the fill has no hard seam.
RawImage fill_masked(const RawImage& source, const RawImage& rendering, const RawImage& mask,
                     bool repaint_white, int blur);

// The source with an alpha plane that is 0 over its background: the pixels connected to the
// borders whose colour is within a distance of the border's most common colour (a plain
// backdrop), with a one-pixel soft edge.
RawImage remove_background(const RawImage& source);

}  // namespace rendermart::procedural
