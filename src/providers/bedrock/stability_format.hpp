#pragma once

// The InvokeModel format of Stability AI's models on Bedrock (Stable Diffusion 3.5 Large, Stable
// Image Core, Stable Image Ultra): {"prompt", "negative_prompt", "aspect_ratio" | "mode" +
// "image" + "strength", "seed", "output_format"} in, {"seeds", "finish_reasons", "images"} out.
// One image per call.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html

#include <cstdint>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

// The models take an aspect ratio, not a size: RenderMart lists, for each ratio, the size of
// about one megapixel that it stands for, and records the size of the image the model returns.
struct StabilityAspect {
  Size size;
  const char* ratio;
};
const std::vector<StabilityAspect>& stability_aspects();

// The body for one image of params.task (text_to_image, or image_to_image on models with a
// mode) with the given seed.
std::string stability_request(const GenerationParams& params, const GenerationInputs& inputs,
                              std::uint32_t seed);

// The one image of an answer. Throws content_filtered for a "Filter reason" finish reason (a
// refusal inside a 200 answer), provider_error for an inference error or an answer without an
// image.
RawImage stability_response(const std::string& body, const std::string& model_id);

}  // namespace rendermart
