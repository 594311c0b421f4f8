#pragma once

// The InvokeModel format of Amazon's image models on Bedrock, Titan Image Generator G1 v2 and
// Nova Canvas: {"taskType", "<task>Params": {...}, "imageGenerationConfig": {...}} in,
// {"images": [base64 PNG], "error": ...} out.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html
// https://docs.aws.amazon.com/nova/latest/userguide/image-gen-req-resp-structure.html

#include <cstdint>
#include <string>

#include "providers/provider.hpp"

namespace rendermart {

// Titan and Nova take similarityStrength in [0.2, 1] (1: closest to the source); RenderMart's
// strength (0: the source, 1: a new picture) maps linearly onto it, inverted.
double similarity_strength(double strength);

// The body for one image (numberOfImages 1) of params.task with the given seed. `styles`: the
// model takes textToImageParams.style (Nova). inputs hold what the task needs.
std::string amazon_image_request(const GenerationParams& params, const GenerationInputs& inputs,
                                 std::uint32_t seed, bool styles);

// The one image of an answer. Throws content_filtered when the answer reports a refusal (Titan
// and Nova report blocked outputs inside a 200 answer), provider_error when it has no image.
RawImage amazon_image_response(const std::string& body, const std::string& model_id);

}  // namespace rendermart
