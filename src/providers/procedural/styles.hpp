#pragma once

// Styles re-render a finished composition (watercolour washes, pixel blocks, neon edges, ...), and
// finish() turns the float canvas into RGB8 with the request's cfg_scale, steps and negative
// colours applied.

#include <cstdint>
#include <string>
#include <vector>

#include "providers/procedural/paint.hpp"

namespace rendermart::procedural {

// The styles this generator knows; apply_style() accepts these and "" (a light finish only).
const std::vector<std::string>& style_names();

void apply_style(Canvas& canvas, const std::string& style, std::uint32_t seed);

struct Finish {
  // cfg_scale 7 leaves the picture as drawn; each step away from 7 changes contrast by 2.5% and
  // saturation by 4% (1: flatter and greyer, 20: punchier), as guidance strength does to a
  // diffusion model's output.
  double cfg_scale = 7;
  // Refinement passes: fewer leave more residual noise, like an under-sampled diffusion model.
  int steps = 20;
  std::uint32_t seed = 0;
  std::vector<Color> excluded;  // hues pushed out of the picture (negative prompt)
  std::vector<Color> grade;     // colours the whole picture leans towards (free colour words)
};

std::vector<std::uint8_t> finish(const Canvas& canvas, const Finish& options);

}  // namespace rendermart::procedural
