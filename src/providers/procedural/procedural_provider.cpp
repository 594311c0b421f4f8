#include "providers/procedural/procedural_provider.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "imaging/mask_blend.hpp"
#include "imaging/resize.hpp"
#include "providers/procedural/compose.hpp"
#include "providers/procedural/edits.hpp"
#include "providers/procedural/scene.hpp"
#include "providers/procedural/styles.hpp"

namespace rendermart {

namespace {

constexpr int default_steps = 20;
constexpr double default_cfg_scale = 7;

void check_cancel(const CancelFlag& cancel) {
  if (cancel.load(std::memory_order_relaxed)) {
    throw Error(ErrorCode::canceled, "generation canceled");
  }
}

// What the task makes of the generator's rendering of the prompt.
RawImage edit(const GenerationParams& params, const GenerationInputs& inputs, RawImage rendering) {
  switch (params.task) {
    case GenerationTask::image_to_image:
      return procedural::blend(*inputs.image, rendering, params.strength);
    case GenerationTask::inpaint:
    case GenerationTask::outpaint:
      // The rendering fills the repainted part, its edge blurred by the mask blur.
      return blend_masked(
          *inputs.image, rendering,
          mask_weights(*inputs.mask, params.mask_blur, params.task == GenerationTask::inpaint));
    default: return rendering;
  }
}

}  // namespace

std::vector<ModelInfo> ProceduralProvider::models() const {
  ModelInfo info;
  info.id = "procedural";
  info.name = "Procedural (built-in)";
  info.provider = "builtin";
  info.kind = "demo";
  info.family = "demo";
  info.description =
      "Not a neural model: composes a picture from the words of the prompt (scene words such as "
      "sunset, night, mountains, sea, forest, city, desert, snow; colour words; a few animals) "
      "with seeded noise and simple geometry. Same parameters, same image; no model files; well "
      "under a second on a CPU. Steps are refinement passes (fewer leave visible noise); "
      "cfg_scale changes contrast and saturation a little; negative prompt words remove elements "
      "and colours. It edits too, as plain pixel arithmetic rather than a model: image_to_image "
      "blends the picture toward its rendering of the prompt by strength, inpaint and outpaint "
      "fill the repainted part with that rendering, remove_background clears a plain backdrop "
      "connected to the borders, upscale enlarges twice with a cubic filter.";
  info.tasks = {GenerationTask::text_to_image,     GenerationTask::image_to_image,
                GenerationTask::inpaint,           GenerationTask::outpaint,
                GenerationTask::remove_background, GenerationTask::upscale};
  info.min_side = 64;
  info.max_side = 2048;
  info.size_multiple = 8;
  info.default_size = {512, 512};
  info.max_count = 4;
  info.steps = {1, 50, default_steps};
  info.cfg_scale = {1, 20, default_cfg_scale};
  info.styles = procedural::style_names();
  // Inpaint and outpaint lay the rendering over the picture through the blurred mask.
  info.mask_blur = kA1111MaskBlur;
  info.negative_prompt = true;
  info.max_prompt_length = 2000;
  return {info};
}

std::vector<RawImage> ProceduralProvider::generate(const GenerationParams& params,
                                                   const GenerationInputs& inputs,
                                                   const ProgressFn& progress,
                                                   const CancelFlag& cancel) {
  // Params arrive validated; these checks keep a bad direct call from allocating wildly.
  if (params.width < 64 || params.width > 2048) {
    throw invalid_argument("width", "width must be 64..2048");
  }
  if (params.height < 64 || params.height > 2048) {
    throw invalid_argument("height", "height must be 64..2048");
  }
  if (params.count < 1 || params.count > 4) throw invalid_argument("count", "count must be 1..4");
  if (task_uses_source(params.task) && !inputs.image) {
    throw Error(ErrorCode::internal, "the source image was not loaded");
  }
  if (task_uses_mask(params.task) && !inputs.mask) {
    throw Error(ErrorCode::internal, "the mask was not loaded");
  }
  check_cancel(cancel);
  switch (params.task) {
    case GenerationTask::remove_background: return {procedural::remove_background(*inputs.image)};
    case GenerationTask::upscale: return {enlarge(*inputs.image, task_scale(params.task))};
    case GenerationTask::upload: throw invalid_argument("task", "an upload is not a generation");
    case GenerationTask::erase:
    case GenerationTask::search_replace:
    case GenerationTask::search_recolor:
    case GenerationTask::sketch:
    case GenerationTask::structure:
    case GenerationTask::style_guide:
    case GenerationTask::style_transfer:
      // Not among its model's tasks: validation refuses them before anything is queued.
      throw invalid_argument(
          "task", std::string("the built-in generator cannot do ") + to_string(params.task));
    case GenerationTask::text_to_image:
    case GenerationTask::image_to_image:
    case GenerationTask::inpaint:
    case GenerationTask::outpaint: break;
  }

  const int count = params.count;
  const int steps = params.steps > 0 ? std::min(params.steps, 50) : default_steps;
  const double cfg_scale = params.cfg_scale > 0 ? params.cfg_scale : default_cfg_scale;

  procedural::Scene scene = procedural::read_scene(params.prompt, params.negative_prompt);
  const std::string style = params.style.empty() ? scene.implied_style : params.style;
  if (style == "neon" && !scene[procedural::Element::sunset] && !scene[procedural::Element::sky] &&
      !scene[procedural::Element::sun]) {
    // Neon glows against the dark: unless the prompt asks for daylight, it is night.
    scene[procedural::Element::night] = true;
  }

  // Each image: `steps` background passes, the foreground, then style and finish.
  const int units_per_image = steps + 2;
  const double total_units = static_cast<double>(count * units_per_image);
  int done = 0;
  const auto advance = [&] {
    ++done;
    if (progress) progress({done / total_units, std::nullopt});
  };

  std::vector<RawImage> images;
  images.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::uint32_t seed = params.seed + static_cast<std::uint32_t>(i);  // wraps, as documented
    check_cancel(cancel);
    const procedural::Composer composer(scene, style, seed, params.width, params.height);
    procedural::Canvas canvas(params.width, params.height);
    for (int pass = 0; pass < steps; ++pass) {
      check_cancel(cancel);
      const int y0 = params.height * pass / steps;
      const int y1 = params.height * (pass + 1) / steps;
      composer.paint_background(canvas, y0, y1);
      advance();
    }
    check_cancel(cancel);
    composer.paint_foreground(canvas);
    advance();
    check_cancel(cancel);
    procedural::apply_style(canvas, style, seed);
    procedural::Finish finish;
    finish.cfg_scale = cfg_scale;
    finish.steps = steps;
    finish.seed = seed;
    finish.excluded = scene.excluded;
    if (!scene[procedural::Element::abstract]) finish.grade = scene.palette;
    RawImage rendering{params.width, params.height, procedural::finish(canvas, finish), {}};
    images.push_back(edit(params, inputs, std::move(rendering)));
    advance();
  }
  return images;
}

}  // namespace rendermart
