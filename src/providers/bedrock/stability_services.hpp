#pragma once

// The InvokeModel bodies of Stability AI's image services on Bedrock: one model per service,
// one JSON body per call, answered as the other Stability models answer
// (stability_response(): {"seeds", "finish_reasons", "images"}).
// https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html
//
// RenderMart's task says which service a model is: upscale (creative, conservative, fast),
// inpaint, outpaint, erase, search_replace, search_recolor, remove_background, sketch,
// structure, style_guide, style_transfer. Every body carries the source as base64 PNG in
// "image" ("init_image" for style transfer) and asks for a PNG ("output_format"); the settings
// each service takes (style_preset, grow_mask, creativity, ...) come from the params, which
// validation has checked against the model's declaration (bedrock_models.cpp).

#include <cstdint>
#include <string>

#include "providers/provider.hpp"

namespace rendermart {

// Where an outpaint's kept picture sits on its canvas: the pixels each side adds.
struct OutpaintMargins {
  int left = 0;
  int right = 0;
  int up = 0;
  int down = 0;
};

// The service takes the picture and the pixels to add on each side, where RenderMart holds the
// larger canvas and a mask (outpaint's: white over the picture it keeps): the bounding box of
// the mask's white pixels is the picture, the rest the margins. Throws invalid_argument when the
// mask keeps nothing, or adds nothing.
OutpaintMargins outpaint_margins(const RawImage& mask);

// The body for one image of params.task with the given seed. params.creativity tells the
// prompted upscalers (creative, conservative: a creativity range) from the fast one (none).
std::string stability_service_request(const GenerationParams& params,
                                      const GenerationInputs& inputs, std::uint32_t seed);

}  // namespace rendermart
