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
  std::string kind;         // demo (the built-in generator, not AI) | local | cloud
  std::string family;       // demo; sd1, sd2 (local); the provider's name for cloud models
  std::string description;
  std::int64_t size_bytes = 0;  // weights on disk; 0: no local files
  std::string source;       // where a local model came from (hf:OWNER/NAME@REV, a URL, file)
  std::string license;      // empty: unknown
  // What the model can do; the API refuses other tasks before queueing.
  std::vector<GenerationTask> tasks{GenerationTask::text_to_image};
  // Sizes: either any width and height in [min_side, max_side] that are multiples of
  // size_multiple, or (when fixed_sizes is not empty) exactly one of fixed_sizes. Either way at
  // most max_pixels pixels and an aspect ratio (longer side / shorter side) of at most
  // max_aspect_ratio, when those are not 0. Tasks on a source image keep its size, so the source
  // must have a size the model accepts.
  int min_side = 64;
  int max_side = 2048;
  int size_multiple = 8;
  std::vector<Size> fixed_sizes;
  std::int64_t max_pixels = 0;
  double max_aspect_ratio = 0;
  Size default_size{512, 512};
  int max_count = 4;
  IntRange steps;           // max 0: the model takes no steps parameter
  RealRange cfg_scale;      // max 0: the model takes no cfg_scale parameter
  std::vector<std::string> styles;  // empty: no styles
  std::vector<std::string> qualities;  // empty: no quality setting; otherwise the first is the default
  bool negative_prompt = true;
  int max_prompt_length = 2000;     // in characters (Unicode code points)
  std::uint32_t max_seed = 4294967295u;
};

bool supports(const ModelInfo& model, GenerationTask task);

// Images a task works on, decoded by the worker from the user's own images.
struct GenerationInputs {
  std::optional<RawImage> image;  // the source image: variation, image-to-image, inpainting,
                                  // outpainting, background removal
  std::optional<RawImage> mask;   // same size as image; white = repaint, black = keep
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

  // The models this provider offers: fixed once the provider is built, or until refresh().
  // Thread-safe.
  virtual std::vector<ModelInfo> models() const = 0;
  // Re-reads what the provider offers (the local engine: its models folder, where models are
  // pulled, added and removed while the server runs); providers whose models are fixed do
  // nothing. Thread-safe; generations in flight finish on what they started with.
  virtual void refresh() {}
  // Generates params.count images; image i uses seed params.seed + i. params have been
  // validated against the model's ModelInfo, and inputs hold the source image (and mask) that
  // params.task needs. Thread-safe. Throws rendermart::Error.
  virtual std::vector<RawImage> generate(const GenerationParams& params,
                                         const GenerationInputs& inputs,
                                         const ProgressFn& progress,
                                         const CancelFlag& cancel) = 0;
};

}  // namespace rendermart
