#include "providers/bedrock/amazon_image_format.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

constexpr double kMinSimilarity = 0.2;

// The mask in Titan's and Nova's convention: black (0, 0, 0) is inside the mask, white outside.
// Inpainting repaints the inside, outpainting the outside, so RenderMart's "white = repaint"
// mask is inverted for inpainting and sent as it is for outpainting.
std::string mask_for(const GenerationParams& params, const GenerationInputs& inputs) {
  const RawImage& mask = required_input(inputs.mask, "mask");
  return params.task == GenerationTask::inpaint ? png_base64(binary_mask(mask, 0, 255))
                                                : png_base64(binary_mask(mask, 255, 0));
}

// text, and negativeText only when there is one (Nova refuses an empty one).
json prompt_fields(const GenerationParams& params) {
  json fields = {{"text", params.prompt}};
  if (!params.negative_prompt.empty()) fields["negativeText"] = params.negative_prompt;
  return fields;
}

}  // namespace

double similarity_strength(double strength) { return 1.0 - (1.0 - kMinSimilarity) * strength; }

std::string amazon_image_request(const GenerationParams& params, const GenerationInputs& inputs,
                                 std::uint32_t seed, bool styles) {
  json config = {{"numberOfImages", 1}, {"cfgScale", params.cfg_scale}, {"seed", seed}};
  if (!params.quality.empty()) config["quality"] = params.quality;
  json body;
  switch (params.task) {
    case GenerationTask::text_to_image: {
      json text = prompt_fields(params);
      if (styles && !params.style.empty()) text["style"] = params.style;
      body = {{"taskType", "TEXT_IMAGE"}, {"textToImageParams", text}};
      config["width"] = params.width;
      config["height"] = params.height;
      break;
    }
    case GenerationTask::image_to_image: {
      json variation = prompt_fields(params);
      variation["images"] = json::array({png_base64(required_input(inputs.image, "source"))});
      variation["similarityStrength"] = similarity_strength(params.strength);
      body = {{"taskType", "IMAGE_VARIATION"}, {"imageVariationParams", variation}};
      config["width"] = params.width;
      config["height"] = params.height;
      break;
    }
    case GenerationTask::inpaint:
    case GenerationTask::outpaint: {
      json edit = prompt_fields(params);
      edit["image"] = png_base64(required_input(inputs.image, "source"));
      edit["maskImage"] = mask_for(params, inputs);
      const bool inpaint = params.task == GenerationTask::inpaint;
      body = {{"taskType", inpaint ? "INPAINTING" : "OUTPAINTING"},
              {inpaint ? "inPaintingParams" : "outPaintingParams", edit}};
      break;
    }
    case GenerationTask::remove_background:
      // The only task without imageGenerationConfig: there is nothing to configure.
      return json{{"taskType", "BACKGROUND_REMOVAL"},
                  {"backgroundRemovalParams",
                   {{"image", png_base64(required_input(inputs.image, "source"))}}}}
          .dump();
    case GenerationTask::upscale:
    case GenerationTask::erase:
    case GenerationTask::search_replace:
    case GenerationTask::search_recolor:
    case GenerationTask::sketch:
    case GenerationTask::structure:
    case GenerationTask::style_guide:
    case GenerationTask::style_transfer:
    case GenerationTask::upload:
      // No Amazon model lists them: validation refuses them before anything is queued.
      throw invalid_argument(
          "task", std::string("Amazon's image models cannot do ") + to_string(params.task));
  }
  body["imageGenerationConfig"] = config;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

RawImage amazon_image_response(const std::string& body, const std::string& model_id) {
  const std::string source = "Bedrock model '" + model_id + "'";
  const auto answer = json_answer(body, source);
  if (answer.contains("error") && answer["error"].is_string() &&
      !answer["error"].get<std::string>().empty()) {
    throw Error(ErrorCode::content_filtered,
                source + " refused to make the image: " + answer["error"].get<std::string>());
  }
  return first_image(answer, source);
}

}  // namespace rendermart
