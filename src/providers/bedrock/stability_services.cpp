#include "providers/bedrock/stability_services.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "providers/bedrock/stability_format.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

// Each side of an outpaint adds at most this many pixels (the service's limit).
constexpr int kMaxOutpaintMargin = 2000;

RawImage crop(const RawImage& image, int x, int y, int width, int height) {
  RawImage out;
  out.width = width;
  out.height = height;
  out.rgb.resize(static_cast<std::size_t>(width) * height * 3);
  if (!image.alpha.empty()) out.alpha.resize(static_cast<std::size_t>(width) * height);
  for (int row = 0; row < height; ++row) {
    const auto from = (static_cast<std::size_t>(y + row) * image.width + x);
    const auto to = static_cast<std::size_t>(row) * width;
    std::copy_n(image.rgb.begin() + static_cast<std::ptrdiff_t>(from * 3), width * 3,
                out.rgb.begin() + static_cast<std::ptrdiff_t>(to * 3));
    if (!image.alpha.empty()) {
      std::copy_n(image.alpha.begin() + static_cast<std::ptrdiff_t>(from), width,
                  out.alpha.begin() + static_cast<std::ptrdiff_t>(to));
    }
  }
  return out;
}

// A ratio of the list ("16:9") as a number.
double ratio_value(const char* ratio) {
  const std::string text(ratio);
  const auto colon = text.find(':');
  return std::stod(text.substr(0, colon)) / std::stod(text.substr(colon + 1));
}

// The aspect ratio of the service's list nearest the source's, on a logarithmic scale
// (style_guide makes a new picture of a ratio, not a size).
const char* nearest_ratio(const RawImage& image) {
  const double wanted = std::log(static_cast<double>(image.width) / image.height);
  const char* best = stability_aspects().front().ratio;
  for (const auto& aspect : stability_aspects()) {
    if (std::abs(std::log(ratio_value(aspect.ratio)) - wanted) <
        std::abs(std::log(ratio_value(best)) - wanted)) {
      best = aspect.ratio;
    }
  }
  return best;
}

// The prompt, and the negative prompt when there is one.
void add_prompt(json& body, const GenerationParams& params) {
  body["prompt"] = params.prompt;
  if (!params.negative_prompt.empty()) body["negative_prompt"] = params.negative_prompt;
}

// The style preset, when the generation has one (validation lets only the services that take one
// have it).
void add_style_preset(json& body, const GenerationParams& params) {
  if (!params.style_preset.empty()) body["style_preset"] = params.style_preset;
}

}  // namespace

OutpaintMargins outpaint_margins(const RawImage& mask) {
  const RawImage binary = binary_mask(mask, 255, 0);
  int left = mask.width, right = -1, top = mask.height, bottom = -1;
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      // Outpaint's mask is white over the picture it keeps.
      if (binary.rgb[(static_cast<std::size_t>(y) * mask.width + x) * 3] == 0) continue;
      left = std::min(left, x);
      right = std::max(right, x);
      top = std::min(top, y);
      bottom = std::max(bottom, y);
    }
  }
  if (right < 0) {
    throw invalid_argument(
        "mask_image_id", "the outpaint mask keeps nothing of the picture: white marks what stays");
  }
  const OutpaintMargins margins{left, mask.width - 1 - right, top, mask.height - 1 - bottom};
  if (margins.left + margins.right + margins.up + margins.down == 0) {
    throw invalid_argument("mask_image_id", "the outpaint mask adds nothing around the picture");
  }
  for (const int side : {margins.left, margins.right, margins.up, margins.down}) {
    if (side > kMaxOutpaintMargin) {
      throw invalid_argument("mask_image_id", "outpaint adds at most " +
                                                  std::to_string(kMaxOutpaintMargin) +
                                                  " pixels on a side with this model");
    }
  }
  return margins;
}

std::string stability_service_request(const GenerationParams& params,
                                      const GenerationInputs& inputs, std::uint32_t seed) {
  const RawImage& source = required_input(inputs.image, "source");
  json body = {{"output_format", "png"}};
  // Every service but background removal and the fast upscaler takes a seed.
  const bool fast_upscale = params.task == GenerationTask::upscale && params.creativity == 0;
  if (params.task != GenerationTask::remove_background && !fast_upscale) body["seed"] = seed;
  add_style_preset(body, params);
  switch (params.task) {
    case GenerationTask::upscale:
      if (!fast_upscale) {
        add_prompt(body, params);
        body["creativity"] = params.creativity;
      }
      break;
    case GenerationTask::inpaint:
      add_prompt(body, params);
      // The services' masks are white where they paint, as RenderMart's.
      body["mask"] = png_base64(binary_mask(required_input(inputs.mask, "mask"), 255, 0));
      body["grow_mask"] = params.grow_mask;
      break;
    case GenerationTask::erase:
      body["mask"] = png_base64(binary_mask(required_input(inputs.mask, "mask"), 255, 0));
      body["grow_mask"] = params.grow_mask;
      break;
    case GenerationTask::outpaint: {
      const auto margins = outpaint_margins(required_input(inputs.mask, "mask"));
      const int width = source.width - margins.left - margins.right;
      const int height = source.height - margins.up - margins.down;
      body["image"] = png_base64(crop(source, margins.left, margins.up, width, height));
      body["left"] = margins.left;
      body["right"] = margins.right;
      body["up"] = margins.up;
      body["down"] = margins.down;
      body["prompt"] = params.prompt;
      body["creativity"] = params.creativity;
      return body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    case GenerationTask::search_replace:
      add_prompt(body, params);
      body["search_prompt"] = params.search_prompt;
      body["grow_mask"] = params.grow_mask;
      break;
    case GenerationTask::search_recolor:
      add_prompt(body, params);
      body["select_prompt"] = params.search_prompt;
      body["grow_mask"] = params.grow_mask;
      break;
    case GenerationTask::remove_background: break;
    case GenerationTask::sketch:
    case GenerationTask::structure:
      add_prompt(body, params);
      body["control_strength"] = params.control_strength;
      break;
    case GenerationTask::style_guide:
      add_prompt(body, params);
      body["fidelity"] = params.control_strength;
      body["aspect_ratio"] = nearest_ratio(source);
      break;
    case GenerationTask::style_transfer:
      if (!params.prompt.empty()) add_prompt(body, params);
      body["init_image"] = png_base64(source);
      body["style_image"] = png_base64(required_input(inputs.style, "style"));
      body["style_strength"] = params.control_strength;
      body["composition_fidelity"] = params.composition_fidelity;
      body["change_strength"] = params.change_strength;
      return body.dump(-1, ' ', false, json::error_handler_t::replace);
    case GenerationTask::text_to_image:
    case GenerationTask::image_to_image:
    case GenerationTask::upload:
      throw invalid_argument(
          "task", std::string("Stability AI's image services cannot do ") + to_string(params.task));
  }
  body["image"] = png_base64(source);
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rendermart
