#include "api/filed_sources.hpp"

#include "core/error.hpp"
#include "imaging/png.hpp"

namespace rendermart::api {

Job create_on_filed_sources(ApiContext& context, const User& user,
                            const GenerationRequest& generation,
                            const std::vector<std::string>& filed) {
  try {
    return context.generations.create(user, generation);
  } catch (const Error&) {
    for (const auto& id : filed) context.images.remove(user, id);
    throw;
  }
}

RawImage decode_mask(ApiContext& context, std::string_view mask) {
  try {
    return context.uploads.decode(mask);
  } catch (const Error& e) {
    throw Error(e.code(), std::string("the mask: ") + e.what(), "mask");
  }
}

std::vector<std::string> file_outpaint_canvas(ApiContext& context, const User& user,
                                              const Margins& margins,
                                              GenerationRequest& generation) {
  if (generation.task && *generation.task != GenerationTask::outpaint) {
    throw invalid_argument("outpaint", "outpaint margins are for task outpaint");
  }
  if (generation.mask_image_id) {
    throw invalid_argument("mask_image_id",
                           "outpaint with margins makes its own mask: leave mask_image_id out");
  }
  if (!generation.source_image_id) {
    throw invalid_argument("source_image_id", "outpaint needs source_image_id: one of your images");
  }
  const auto source = context.images.get(user, *generation.source_image_id);
  const auto extended =
      extend_canvas(decode_png(context.images.original(source), PngAlpha::keep).image, margins);
  const auto canvas = context.uploads.file(user, extended.image, "Outpaint canvas of " + source.id);
  generation.task = GenerationTask::outpaint;
  generation.source_image_id = canvas.id;
  try {
    generation.mask_image_id =
        context.uploads.file(user, extended.mask, "Outpaint mask of " + source.id).id;
  } catch (const Error&) {
    context.images.remove(user, canvas.id);
    throw;
  }
  return {canvas.id, *generation.mask_image_id};
}

std::string file_inline_mask(ApiContext& context, const User& user, std::string_view mask,
                             GenerationRequest& generation) {
  if (generation.mask_image_id) {
    throw invalid_argument("mask_image_id", "send either mask or mask_image_id, not both");
  }
  generation.mask_image_id = context.uploads.file(user, decode_mask(context, mask), "Mask").id;
  return *generation.mask_image_id;
}

}  // namespace rendermart::api
