// What RenderMart sends to an OpenAI-compatible image API (generations as JSON, edits as
// multipart with a transparent-where-edited mask) and how it reads a stream of image events.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "imaging/png.hpp"
#include "providers/openai/openai_models.hpp"
#include "providers/openai/openai_request.hpp"
#include "providers/openai/openai_stream.hpp"
#include "raw_images.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

using test::solid;

OpenAiCapabilities gpt_image() {
  return find_openai_family(builtin_openai_families(), "gpt-image-2")->capabilities;
}

GenerationParams params() {
  GenerationParams p;
  p.prompt = "a fox";
  p.count = 2;
  p.width = 1024;
  p.height = 1536;
  p.quality = "high";
  p.background = "opaque";
  p.moderation = "low";
  return p;
}

TEST(OpenAiRequest, TheGptImageFamiliesDeclareTheNewerSettings) {
  const auto caps = gpt_image();
  EXPECT_EQ(caps.backgrounds, (std::vector<std::string>{"auto", "opaque"}));
  EXPECT_EQ(caps.moderations, (std::vector<std::string>{"auto", "low"}));
  EXPECT_EQ(caps.partial_images, 2);
  EXPECT_TRUE(caps.edits);
}

TEST(OpenAiRequest, AGenerationCarriesTheSettingsAndStreamsWhenWatched) {
  const auto caps = gpt_image();
  const auto plain = openai_generation_body(params(), "gpt-image-2", caps, false);
  EXPECT_EQ(plain.content_type, "application/json");
  EXPECT_EQ(json::parse(plain.body), json::parse(R"({"model": "gpt-image-2", "prompt": "a fox",
      "n": 2, "size": "1024x1536", "quality": "high", "background": "opaque",
      "moderation": "low"})"));
  EXPECT_FALSE(openai_streams(caps, false));
  ASSERT_TRUE(openai_streams(caps, true));
  const auto streamed =
      json::parse(openai_generation_body(params(), "gpt-image-2", caps, true).body);
  EXPECT_EQ(streamed["stream"], true);
  EXPECT_EQ(streamed["partial_images"], 2);
}

// The parts of a multipart body by name: just enough of RFC 7578 for the bodies made here.
std::map<std::string, std::string> form_parts(const OpenAiBody& body) {
  const std::string delimiter =
      "--" + body.content_type.substr(body.content_type.find("boundary=") + 9);
  std::map<std::string, std::string> parts;
  std::size_t at = body.body.find(delimiter);
  while (at != std::string::npos) {
    const std::size_t start = at + delimiter.size();
    if (body.body.compare(start, 2, "--") == 0) break;
    const std::size_t next = body.body.find(delimiter, start);
    const std::string part = body.body.substr(start + 2, next - start - 4);  // CRLFs
    const std::size_t name = part.find("name=\"") + 6;
    const std::size_t head_end = part.find("\r\n\r\n");
    parts[part.substr(name, part.find('"', name) - name)] = part.substr(head_end + 4);
    at = next;
  }
  return parts;
}

TEST(OpenAiRequest, AnEditIsMultipartWithATransparentWhereEditedMask) {
  GenerationInputs inputs;
  inputs.image = solid(4, 2, 100);
  inputs.mask = solid(4, 2, 0);
  inputs.mask->rgb[0] = inputs.mask->rgb[1] = inputs.mask->rgb[2] = 255;  // pixel (0,0): edit
  auto p = params();
  p.task = GenerationTask::inpaint;
  const auto body = openai_edit_body(p, "gpt-image-2", gpt_image(), inputs, false);
  ASSERT_TRUE(body.content_type.starts_with("multipart/form-data; boundary="));
  auto parts = form_parts(body);
  EXPECT_EQ(parts["model"], "gpt-image-2");
  EXPECT_EQ(parts["prompt"], "a fox");
  EXPECT_EQ(parts["n"], "2");
  EXPECT_EQ(parts["size"], "1024x1536");
  EXPECT_EQ(parts["background"], "opaque");
  EXPECT_EQ(decode_png(parts["image"]).image.width, 4);
  const RawImage mask = decode_png(parts["mask"], PngAlpha::keep).image;
  ASSERT_EQ(mask.alpha.size(), 8u);
  EXPECT_EQ(mask.alpha[0], 0) << "the edited pixel is transparent";
  EXPECT_EQ(mask.alpha[1], 255);
}

std::string event(const std::string& type, const std::string& b64) {
  return "event: " + type +
         "\r\ndata: " + json{{"type", type}, {"b64_json", b64}, {"partial_image_index", 0}}.dump() +
         "\r\n\r\n";
}

TEST(OpenAiStream, PartialImagesArePreviewsAndCompletedOnesTheResult) {
  const std::string png = base64_encode(encode_png(solid(3, 2, 50), {}));
  std::vector<RawImage> previews;
  OpenAiImageStream stream("the API", [&](RawImage image) { previews.push_back(image); });
  const std::string body =
      event("image_generation.partial_image", png) + event("image_generation.completed", png);
  // Pieces that split events, lines and the CRLF between them.
  for (std::size_t i = 0; i < body.size(); i += 7) stream.feed(std::string_view(body).substr(i, 7));
  EXPECT_EQ(previews.size(), 1u);
  const auto images = stream.finish();
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].width, 3);
}

TEST(OpenAiStream, AnErrorEventIsTheJobsError) {
  OpenAiImageStream stream("the API", nullptr);
  stream.feed(
      "event: error\ndata: {\"type\": \"error\", \"error\": {\"message\": \"blocked\", "
      "\"code\": \"moderation_blocked\"}}\n\n");
  try {
    stream.finish();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::content_filtered);
  }
  OpenAiImageStream empty("the API", nullptr);
  EXPECT_THROW(empty.finish(), Error);
}

}  // namespace
}  // namespace rendermart
