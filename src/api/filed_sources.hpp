#pragma once

// Generations on pictures the server files for the request itself: an OpenAI-style edit's
// picture and mask, outpainting's larger canvas and its mask. They are filed as the user's
// uploads first (so results link to them as every edit links to its source) and removed again
// when the generation is refused.

#include "api/api_context.hpp"
#include "imaging/canvas.hpp"

namespace rendermart::api {

// Creates the generation; when it is refused, the request's source and mask images (pictures
// filed for it) are removed again: a refused request leaves nothing behind.
Job create_on_filed_sources(ApiContext& context, const User& user,
                            const GenerationRequest& generation);

// Outpainting by margins: files the request's source image on a canvas larger by `margins`
// (edges stretched outward) and the mask that keeps the picture, and points the request at them.
// Throws Error(invalid_argument) naming "outpaint" or "mask_image_id" for a request that cannot
// be outpainted so.
void file_outpaint_canvas(ApiContext& context, const User& user, const Margins& margins,
                          GenerationRequest& generation);

}  // namespace rendermart::api
