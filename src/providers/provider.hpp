#pragma once

// A Provider turns a prompt and parameters into images. It says what each of its models can do
// (ModelInfo, core/model_info.hpp), and the API validates requests against that before anything
// is queued.
// Implementations: procedural (built in), the local diffusion engine, Amazon Bedrock,
// OpenAI-compatible APIs.

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "core/job_stage.hpp"
#include "core/model_info.hpp"

namespace rendermart {

// Images a task works on, decoded by the worker from the user's own images.
struct GenerationInputs {
  std::optional<RawImage> image;  // the source image: variation, image-to-image, inpainting,
                                  // outpainting, background removal
  std::optional<RawImage> mask;   // same size as image; white = repaint, black = keep
  std::optional<RawImage> style;  // style_transfer: the picture whose style is applied
  // The source image's own prompt (empty for an upload): what guides a local upscale's pass.
  std::string source_prompt;
};

// How far a generation is: fraction in [0, 1], and, when the provider can make one cheaply, a
// small picture of the image as it forms (e.g. one pixel per latent pixel).
struct ProgressUpdate {
  double fraction = 0;
  std::optional<RawImage> preview;
  JobStage stage = JobStage::generating;
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
  // Providers that load models into this process (the local engine): the ids of those in memory
  // now. Nothing for the others. Thread-safe, and quick while a generation runs.
  virtual std::optional<std::vector<std::string>> models_in_memory() const { return std::nullopt; }
  // Generates params.count images; image i uses seed params.seed + i. params have been
  // validated against the model's ModelInfo, and inputs hold the source image (and mask) that
  // params.task needs. Thread-safe. Throws rendermart::Error.
  virtual std::vector<RawImage> generate(const GenerationParams& params,
                                         const GenerationInputs& inputs, const ProgressFn& progress,
                                         const CancelFlag& cancel) = 0;
};

}  // namespace rendermart
