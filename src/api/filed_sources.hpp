#pragma once

// Generations on pictures the server files for the request itself: an OpenAI-style edit's
// picture and mask, outpainting's larger canvas and its mask. They are filed as the user's
// uploads first (so results link to them as every edit links to its source) and removed again
// when the generation is refused.

#include <string>
#include <string_view>
#include <vector>

#include "api/api_context.hpp"
#include "imaging/canvas.hpp"

namespace rendermart::api {

// Creates the generation; when it is refused, the images filed for it (`filed`) are removed
// again: a refused request leaves nothing behind.
Job create_on_filed_sources(ApiContext& context, const User& user,
                            const GenerationRequest& generation,
                            const std::vector<std::string>& filed);

// An upload's file decoded as a mask; the errors of uploads, naming the field "mask".
RawImage decode_mask(ApiContext& context, std::string_view mask);

// Outpainting by margins: files the request's source image on a canvas larger by `margins`
// (edges stretched outward) and the mask that keeps the picture, and points the request at them;
// returns their ids. Throws Error(invalid_argument) naming "outpaint" or "mask_image_id" for a
// request that cannot be outpainted so.
std::vector<std::string> file_outpaint_canvas(ApiContext& context, const User& user,
                                              const Margins& margins,
                                              GenerationRequest& generation);

// A mask sent with the request: filed as the user's upload (the limits of uploads apply, field
// "mask") and named by the request; returns its id. Throws Error(invalid_argument, field
// "mask_image_id") when the request names a stored mask too.
std::string file_inline_mask(ApiContext& context, const User& user, std::string_view mask,
                             GenerationRequest& generation);

}  // namespace rendermart::api
