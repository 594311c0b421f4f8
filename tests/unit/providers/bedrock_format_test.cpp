// The Bedrock request bodies and answers, field by field, as AWS documents them for each model
// family, and the errors that Bedrock's answers become.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "imaging/png.hpp"
#include "providers/bedrock/amazon_image_format.hpp"
#include "providers/bedrock/bedrock_client.hpp"
#include "providers/bedrock/bedrock_models.hpp"
#include "providers/bedrock/stability_format.hpp"
#include "raw_images.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

using test::solid;

// A mask whose left half is white (repaint) and right half black.
RawImage half_mask(int width, int height) {
  RawImage mask = solid(width, height, 0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width / 2; ++x) {
      const auto i = static_cast<std::size_t>((y * width + x) * 3);
      mask.rgb[i] = mask.rgb[i + 1] = mask.rgb[i + 2] = 200;
    }
  }
  return mask;
}

RawImage decode_b64(const json& value) {
  return decode_png(*base64_decode(value.get<std::string>())).image;
}

GenerationParams text_params() {
  GenerationParams p;
  p.prompt = "a fox";
  p.negative_prompt = "rain";
  p.model = "amazon.nova-canvas-v1:0";
  p.style = "PHOTOREALISM";
  p.width = 1024;
  p.height = 576;
  p.cfg_scale = 6.5;
  p.quality = "premium";
  return p;
}

TEST(AmazonImageFormat, TextToImageCarriesEveryDocumentedField) {
  const auto body = json::parse(amazon_image_request(text_params(), {}, 77, true));
  EXPECT_EQ(body, json::parse(R"({"taskType": "TEXT_IMAGE",
      "textToImageParams": {"text": "a fox", "negativeText": "rain", "style": "PHOTOREALISM"},
      "imageGenerationConfig": {"numberOfImages": 1, "cfgScale": 6.5, "seed": 77,
                                "quality": "premium", "width": 1024, "height": 576}})"));
  // Titan has no styles; an empty negative prompt is left out (Nova refuses an empty one).
  auto titan = text_params();
  titan.negative_prompt.clear();
  const auto plain = json::parse(amazon_image_request(titan, {}, 1, false));
  EXPECT_EQ(plain["textToImageParams"], json::parse(R"({"text": "a fox"})"));
}

TEST(AmazonImageFormat, VariationMapsStrengthOntoSimilarity) {
  EXPECT_DOUBLE_EQ(similarity_strength(0), 1.0);
  EXPECT_DOUBLE_EQ(similarity_strength(1), 0.2);
  EXPECT_DOUBLE_EQ(similarity_strength(0.5), 0.6);
  auto p = text_params();
  p.task = GenerationTask::image_to_image;
  p.strength = 0.25;
  p.width = p.height = 512;
  GenerationInputs inputs;
  inputs.image = solid(512, 512, 90);
  const auto body = json::parse(amazon_image_request(p, inputs, 3, true));
  EXPECT_EQ(body["taskType"], "IMAGE_VARIATION");
  const auto& params = body["imageVariationParams"];
  EXPECT_DOUBLE_EQ(params["similarityStrength"].get<double>(), 0.8);
  ASSERT_EQ(params["images"].size(), 1u);
  EXPECT_EQ(decode_b64(params["images"][0]).rgb, inputs.image->rgb);
  EXPECT_FALSE(params.contains("style"));
  EXPECT_EQ(body["imageGenerationConfig"]["width"], 512);
}

TEST(AmazonImageFormat, InpaintingInvertsTheMaskAndOutpaintingKeepsIt) {
  GenerationInputs inputs;
  inputs.image = solid(64, 32, 10);
  inputs.mask = half_mask(64, 32);
  auto p = text_params();
  p.width = 64;
  p.height = 32;
  for (const auto task : {GenerationTask::inpaint, GenerationTask::outpaint}) {
    p.task = task;
    const auto body = json::parse(amazon_image_request(p, inputs, 5, true));
    const bool inpaint = task == GenerationTask::inpaint;
    EXPECT_EQ(body["taskType"], inpaint ? "INPAINTING" : "OUTPAINTING");
    const auto& params = body[inpaint ? "inPaintingParams" : "outPaintingParams"];
    const RawImage mask = decode_b64(params["maskImage"]);
    // Bedrock's masks are pure black and white: black is inside the mask (inpainting repaints
    // it), white outside (outpainting repaints that).
    const std::uint8_t repaint = inpaint ? 0 : 255;
    EXPECT_EQ(mask.rgb[0], repaint);
    EXPECT_EQ(mask.rgb[(63) * 3], 255 - repaint);
    for (auto v : mask.rgb) EXPECT_TRUE(v == 0 || v == 255);
    EXPECT_FALSE(body["imageGenerationConfig"].contains("width"));
    EXPECT_EQ(params["text"], "a fox");
  }
}

TEST(AmazonImageFormat, BackgroundRemovalSendsOnlyTheImage) {
  GenerationParams p;
  p.task = GenerationTask::remove_background;
  GenerationInputs inputs;
  inputs.image = solid(32, 32, 7);
  const auto body = json::parse(amazon_image_request(p, inputs, 0, true));
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["taskType"], "BACKGROUND_REMOVAL");
  EXPECT_EQ(decode_b64(body["backgroundRemovalParams"]["image"]).width, 32);
}

TEST(AmazonImageFormat, AnswersWithAnErrorAreContentFilteredEvenWith200) {
  const auto image = base64_encode(encode_png(solid(8, 8, 1), {}));
  EXPECT_EQ(amazon_image_response(json{{"images", {image}}, {"error", nullptr}}.dump(), "m").width,
            8);
  try {
    amazon_image_response(
        R"({"images": [], "error": "All of the generated images have been blocked"})", "m");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::content_filtered);
  }
  for (const char* bad : {R"({"images": []})", "not json", R"({"images": ["!!"]})"}) {
    try {
      amazon_image_response(bad, "m");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::provider_error) << bad;
    }
  }
}

TEST(StabilityFormat, TextToImageSendsTheAspectRatioAndImageToImageTheStrength) {
  GenerationParams p;
  p.prompt = "a castle";
  p.width = 1344;
  p.height = 768;
  const auto text = json::parse(stability_request(p, {}, 42));
  EXPECT_EQ(text, json::parse(R"({"prompt": "a castle", "seed": 42, "output_format": "png",
                                  "aspect_ratio": "16:9"})"));
  p.task = GenerationTask::image_to_image;
  p.strength = 0.7;
  GenerationInputs inputs;
  inputs.image = solid(1024, 1024, 3);
  const auto image = json::parse(stability_request(p, inputs, 1));
  EXPECT_EQ(image["mode"], "image-to-image");
  EXPECT_DOUBLE_EQ(image["strength"].get<double>(), 0.7);
  EXPECT_FALSE(image.contains("aspect_ratio"));
  p.task = GenerationTask::text_to_image;
  p.width = 1000;
  EXPECT_THROW(stability_request(p, {}, 1), Error);
}

TEST(StabilityFormat, FinishReasonsAreFiltersOrErrors) {
  const auto image = base64_encode(encode_png(solid(8, 8, 1), {}));
  EXPECT_EQ(
      stability_response(
          json{{"seeds", {1}}, {"finish_reasons", {nullptr}}, {"images", {image}}}.dump(), "m")
          .height,
      8);
  const auto code_of = [](const std::string& body) {
    try {
      stability_response(body, "m");
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  };
  EXPECT_EQ(code_of(R"({"finish_reasons": ["Filter reason: prompt"]})"),
            ErrorCode::content_filtered);
  EXPECT_EQ(code_of(R"({"finish_reasons": ["Filter reason: output image"], "images": []})"),
            ErrorCode::content_filtered);
  EXPECT_EQ(code_of(R"({"finish_reasons": ["Inference error"]})"), ErrorCode::provider_error);
}

TEST(BedrockModels, CapabilitiesFollowTheDocumentation) {
  const auto* titan = find_bedrock_model("amazon.titan-image-generator-v2:0");
  ASSERT_NE(titan, nullptr);
  EXPECT_EQ(titan->info.fixed_sizes.size(), 25u);
  EXPECT_EQ(titan->info.max_seed, 2147483646u);
  const auto* nova = find_bedrock_model("amazon.nova-canvas-v1:0");
  ASSERT_NE(nova, nullptr);
  EXPECT_EQ(nova->info.max_pixels, 4194303);
  EXPECT_EQ(nova->info.styles.size(), 8u);
  EXPECT_EQ(find_bedrock_model("amazon.titan-image-generator-v1"), nullptr);
  const auto defaults = default_bedrock_model_ids();
  // Titan v2 and Nova Canvas are Legacy on Bedrock: never offered unless named.
  EXPECT_EQ(defaults, (std::vector<std::string>{"stability.sd3-5-large-v1:0",
                                                "stability.stable-image-core-v1:1",
                                                "stability.stable-image-ultra-v1:1"}));
}

net::HttpResponse answer(long status, const std::string& type, const std::string& message) {
  net::HttpResponse response;
  response.status = status;
  if (!type.empty()) {
    response.headers.emplace_back("x-amzn-errortype",
                                  type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
  }
  response.body = json{{"message", message}}.dump();
  return response;
}

TEST(BedrockErrors, EachDocumentedErrorBecomesAClearCode) {
  const auto code = [](const net::HttpResponse& r) {
    return invoke_error(r, "m", "us-east-1").code();
  };
  EXPECT_EQ(code(answer(400, "ValidationException",
                        "This request has been blocked by our content filters.")),
            ErrorCode::content_filtered);
  EXPECT_EQ(code(answer(400, "ValidationException", "Malformed input request")),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code(answer(429, "ThrottlingException", "Too many requests")), ErrorCode::rate_limited);
  EXPECT_EQ(code(answer(429, "ModelNotReadyException", "not ready")), ErrorCode::rate_limited);
  EXPECT_EQ(code(answer(400, "ServiceQuotaExceededException", "quota")), ErrorCode::rate_limited);
  EXPECT_EQ(code(answer(403, "AccessDeniedException", "You don't have access to the model")),
            ErrorCode::provider_misconfigured);
  EXPECT_EQ(code(answer(404, "ResourceNotFoundException", "no such model")),
            ErrorCode::provider_misconfigured);
  EXPECT_EQ(code(answer(403, "UnrecognizedClientException", "bad token")),
            ErrorCode::provider_misconfigured);
  EXPECT_EQ(code(answer(408, "ModelTimeoutException", "too long")), ErrorCode::provider_error);
  EXPECT_EQ(code(answer(424, "ModelErrorException", "model failed")), ErrorCode::provider_error);
  EXPECT_EQ(code(answer(500, "InternalServerException", "oops")), ErrorCode::provider_error);
  EXPECT_EQ(code(answer(503, "ServiceUnavailableException", "later")), ErrorCode::provider_error);
  const std::string message = invoke_error(answer(403, "AccessDeniedException", "no"),
                                           "amazon.nova-canvas-v1:0", "eu-west-1")
                                  .what();
  EXPECT_NE(message.find("amazon.nova-canvas-v1:0"), std::string::npos);
  EXPECT_NE(message.find("eu-west-1"), std::string::npos);
}

}  // namespace
}  // namespace rendermart
