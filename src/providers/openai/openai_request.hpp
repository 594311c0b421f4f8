#pragma once

// The requests RenderMart sends to an OpenAI-compatible image API
// (https://developers.openai.com/api/reference/resources/images): POST /v1/images/generations
// with a JSON body, and POST /v1/images/edits as multipart/form-data with the source picture and
// a mask PNG whose fully transparent pixels mark the area to edit (inpaint).

#include <string>

#include "providers/openai/openai_models.hpp"
#include "providers/provider.hpp"

namespace rendermart {

struct OpenAiBody {
  std::string content_type;
  std::string body;
};

// Whether the request asks for a stream of server-sent events with partial images:
// the model's family asks for previews (partial_images) and someone watches the progress.
bool openai_streams(const OpenAiCapabilities& caps, bool watched);

// The JSON body of a generation (text_to_image). `stream`: "stream": true with the family's
// partial_images.
OpenAiBody openai_generation_body(const GenerationParams& params, const std::string& model,
                                  const OpenAiCapabilities& caps, bool stream);

// The multipart body of an edit (inpaint): image (PNG), mask (PNG, transparent where the
// picture is repainted: RenderMart's white), and the same fields as a generation.
OpenAiBody openai_edit_body(const GenerationParams& params, const std::string& model,
                            const OpenAiCapabilities& caps, const GenerationInputs& inputs,
                            bool stream);

// RenderMart's mask (white: repaint) as OpenAI's: an RGBA picture, transparent where the
// picture is repainted, opaque black elsewhere.
RawImage openai_mask(const RawImage& mask);

}  // namespace rendermart
