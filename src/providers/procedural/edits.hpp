#pragma once

// What the built-in generator does to a picture it is given: plain pixel arithmetic, not a
// model. Restyling blends the source with the generator's own rendering of the prompt (filling
// lays that rendering over the masked part: imaging/mask_blend.hpp); background removal floods
// the picture's plain surroundings from its borders.

#include "core/domain.hpp"

namespace rendermart::procedural {

// source + (rendering - source) * weight, where weight is `strength` (image_to_image) for every
// pixel. Both images have the same size; the source's alpha plane is kept.
RawImage blend(const RawImage& source, const RawImage& rendering, double strength);

// The source with an alpha plane that is 0 over its background: the pixels connected to the
// borders whose colour is within a distance of the border's most common colour (a plain
// backdrop), with a one-pixel soft edge.
RawImage remove_background(const RawImage& source);

}  // namespace rendermart::procedural
