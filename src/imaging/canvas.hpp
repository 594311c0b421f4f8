#pragma once

// Outpainting's starting point: a picture on a larger canvas, and the mask that says which part
// is the picture.

#include "core/domain.hpp"

namespace rendermart {

// Pixels added on each side.
struct Margins {
  int left = 0;
  int right = 0;
  int top = 0;
  int bottom = 0;
};

struct ExtendedCanvas {
  RawImage image;  // the picture, its edge pixels stretched outward over the margins
  RawImage mask;   // white over the picture (kept by outpaint), black over the margins
};

// Throws Error(invalid_argument, field "outpaint") for a negative margin.
ExtendedCanvas extend_canvas(const RawImage& image, const Margins& margins);

}  // namespace rendermart
