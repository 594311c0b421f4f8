#pragma once

// What a model can do, as its provider describes it: the tasks, sizes, steps and settings it
// takes. The API validates requests against it before anything is queued, and shows it to
// clients (GET /api/v1/models).

#include <cstdint>
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

// A LoRA a local model can merge (a file of the models folder's loras/ for its family).
struct LoraInfo {
  std::string name;
  std::string hash;  // AUTOMATIC1111's short hash (its "Lora hashes")
};

struct ModelInfo {
  std::string id;        // unique across providers, e.g. "procedural"
  std::string name;      // for people
  std::string provider;  // e.g. "builtin", "local", "bedrock", "openai"
  std::string kind;      // demo (the built-in generator, not AI) | local | cloud
  std::string family;    // demo; sd1, sd2 (local); the provider's name for cloud models
  std::string description;
  std::int64_t size_bytes = 0;  // weights on disk; 0: no local files
  std::string source;           // where a local model came from (hf:OWNER/NAME@REV, a URL, file)
  std::string license;          // empty: unknown
  // YYYY-MM-DD from which the service no longer runs this cloud model; empty: none announced.
  // A model with a date is offered only because the configuration names it.
  std::string shutdown_date;
  // Local models: whether this process holds the model's weights in memory (a generation with it
  // starts at once); nothing for other models. Filled by ModelCatalog::models() when asked.
  std::optional<bool> loaded;
  // Local models: the LoRAs it can merge (GenerationParams::loras names them); none elsewhere.
  std::vector<LoraInfo> loras;
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
  IntRange steps;                   // max 0: the model takes no steps parameter
  RealRange cfg_scale;              // max 0: the model takes no cfg_scale parameter
  std::vector<std::string> styles;  // empty: no styles
  std::vector<std::string>
      qualities;  // empty: no quality setting; otherwise the first is the default
  // OpenAI's GPT image models: the backgrounds and moderation levels it takes, the default
  // first; empty: it takes none.
  std::vector<std::string> backgrounds;
  std::vector<std::string> moderations;
  // GenerationParams::creativity and control_strength as the model takes them; max 0: not at all.
  RealRange creativity;
  RealRange control_strength;
  // Stability AI's image services: the style presets the model takes (empty: none), how many
  // pixels it may grow a mask by (inpaint, erase, search_replace, search_recolor) and style
  // transfer's composition_fidelity and change_strength; max 0: not at all.
  std::vector<std::string> style_presets;
  IntRange grow_mask;
  RealRange composition_fidelity;
  RealRange change_strength;
  // GenerationParams::mask_blur (inpaint, outpaint) for the models that lay their result over the
  // source through the blurred mask (kA1111MaskBlur); max 0: the model takes none.
  IntRange mask_blur;
  bool negative_prompt = true;
  int max_prompt_length = 2000;  // in characters (Unicode code points)
  std::uint32_t max_seed = 4294967295u;
};

// AUTOMATIC1111's "Mask blur", as the built-in generator and local models take it: 0 to 64
// pixels, 4 by default.
inline constexpr IntRange kA1111MaskBlur{0, 64, 4};

bool supports(const ModelInfo& model, GenerationTask task);

}  // namespace rendermart
