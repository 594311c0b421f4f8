#pragma once

// The built-in generator: no model files, no network, no GPU. It is not a neural model; it composes
// a picture from the words of the prompt (see scene.hpp and compose.hpp), so that the platform
// works end to end on a fresh machine and tests have a fast, deterministic provider.

#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

class ProceduralProvider : public Provider {
 public:
  std::vector<ModelInfo> models() const override;
  // Bit-identical output for the same prompt, negative prompt, seed, size, style, steps and
  // cfg_scale, on any machine.
  // Text to image only: it takes no inputs.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;
};

}  // namespace rendermart
