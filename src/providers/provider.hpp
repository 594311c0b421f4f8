#pragma once

// A Provider turns a prompt and parameters into images. It says what each of its models can do
// (ModelInfo), and the API validates requests against that before anything is queued.
// Implementations: procedural (built in), the local diffusion engine, Amazon Bedrock,
// OpenAI-compatible APIs.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"

namespace rendermart {

struct Size {
  int width = 0;
  int height = 0;
};

struct IntRange {
  int min = 0;
  int max = 0;
  int default_value = 0;
};

struct RealRange {
  double min = 0;
  double max = 0;
  double default_value = 0;
};

struct ModelInfo {
  std::string id;           // unique across providers, e.g. "procedural"
  std::string name;         // for people
  std::string provider;     // e.g. "builtin", "local", "bedrock", "openai"
  std::string kind;         // procedural | local | cloud
  std::string description;
  // Sizes: either any width and height in [min_side, max_side] that are multiples of
  // size_multiple, or (when fixed_sizes is not empty) exactly one of fixed_sizes.
  int min_side = 64;
  int max_side = 2048;
  int size_multiple = 8;
  std::vector<Size> fixed_sizes;
  Size default_size{512, 512};
  int max_count = 4;
  IntRange steps;           // max 0: the model takes no steps parameter
  RealRange cfg_scale;      // max 0: the model takes no cfg_scale parameter
  std::vector<std::string> styles;  // empty: no styles
  bool negative_prompt = true;
  int max_prompt_length = 2000;     // in characters (Unicode code points)
  std::uint32_t max_seed = 4294967295u;
};

// How far a generation is: fraction in [0, 1], and, when the provider can make one cheaply, a
// small picture of the image as it forms (e.g. one pixel per latent pixel).
struct ProgressUpdate {
  double fraction = 0;
  std::optional<RawImage> preview;
};

// Called as work advances, from the generating thread only.
using ProgressFn = std::function<void(const ProgressUpdate&)>;

// Set by another thread; a provider checks it between steps and then throws
// Error(ErrorCode::canceled).
using CancelFlag = std::atomic<bool>;

class Provider {
 public:
  virtual ~Provider() = default;

  virtual std::vector<ModelInfo> models() const = 0;
  // Generates params.count images; image i uses seed params.seed + i. params have been
  // validated against the model's ModelInfo. Thread-safe. Throws rendermart::Error.
  virtual std::vector<RawImage> generate(const GenerationParams& params,
                                         const ProgressFn& progress,
                                         const CancelFlag& cancel) = 0;
};

}  // namespace rendermart
