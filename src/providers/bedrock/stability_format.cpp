#include "providers/bedrock/stability_format.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

const char* ratio_for(const GenerationParams& params) {
  for (const auto& aspect : stability_aspects()) {
    if (aspect.size.width == params.width && aspect.size.height == params.height) {
      return aspect.ratio;
    }
  }
  throw invalid_argument("width", "no Stability aspect ratio has the size " +
                                      std::to_string(params.width) + "x" +
                                      std::to_string(params.height));
}

}  // namespace

const std::vector<StabilityAspect>& stability_aspects() {
  // The aspect_ratio enum of the Bedrock documentation, at about one megapixel (sides that are
  // multiples of 64).
  static const std::vector<StabilityAspect> aspects = {
      {{1024, 1024}, "1:1"}, {{1344, 768}, "16:9"}, {{1536, 640}, "21:9"},
      {{832, 1216}, "2:3"},  {{1216, 832}, "3:2"},  {{896, 1088}, "4:5"},
      {{1088, 896}, "5:4"},  {{768, 1344}, "9:16"}, {{640, 1536}, "9:21"},
  };
  return aspects;
}

std::string stability_request(const GenerationParams& params, const GenerationInputs& inputs,
                              std::uint32_t seed) {
  json body = {{"prompt", params.prompt}, {"seed", seed}, {"output_format", "png"}};
  if (!params.negative_prompt.empty()) body["negative_prompt"] = params.negative_prompt;
  if (params.task == GenerationTask::image_to_image) {
    if (!inputs.image) throw Error(ErrorCode::internal, "the source image was not loaded");
    // strength: 0 keeps the source, 1 ignores it, as RenderMart's strength.
    body["mode"] = "image-to-image";
    body["image"] = png_base64(*inputs.image);
    body["strength"] = params.strength;
  } else {
    body["aspect_ratio"] = ratio_for(params);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

RawImage stability_response(const std::string& body, const std::string& model_id) {
  const std::string source = "Bedrock model '" + model_id + "'";
  const auto answer = json_answer(body, source);
  if (const auto reasons = answer.find("finish_reasons");
      reasons != answer.end() && reasons->is_array() && !reasons->empty() &&
      (*reasons)[0].is_string()) {
    const auto reason = (*reasons)[0].get<std::string>();
    if (reason.starts_with("Filter reason")) {
      throw Error(ErrorCode::content_filtered, source + " refused to make the image (" + reason +
                                                   "): change the prompt or the image");
    }
    throw Error(ErrorCode::provider_error, source + " failed: " + reason);
  }
  return first_image(answer, source);
}

}  // namespace rendermart
