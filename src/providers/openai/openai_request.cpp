#include "providers/openai/openai_request.hpp"

#include <nlohmann/json.hpp>

#include "imaging/png.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

// Long and unlikely inside a PNG; a part's bytes never need escaping in multipart.
constexpr const char* kBoundary = "RenderMartFormBoundary-7d1f0c9a4be35e28b6a1";

// The fields a generation and an edit share, as JSON values.
json common_fields(const GenerationParams& params, const std::string& model,
                   const OpenAiCapabilities& caps, bool stream) {
  json fields = {{"model", model},
                 {"prompt", params.prompt},
                 {"n", params.count},
                 {"size", std::to_string(params.width) + "x" + std::to_string(params.height)}};
  if (!params.quality.empty()) fields["quality"] = params.quality;
  if (!params.style.empty()) fields["style"] = params.style;
  if (!params.background.empty()) fields["background"] = params.background;
  if (!params.moderation.empty()) fields["moderation"] = params.moderation;
  if (caps.response_format) fields["response_format"] = "b64_json";
  if (stream) {
    fields["stream"] = true;
    fields["partial_images"] = caps.partial_images;
  }
  return fields;
}

void add_part(std::string& body, const std::string& name, const std::string& value,
              const char* filename = nullptr) {
  body += "--";
  body += kBoundary;
  body += "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
  if (filename) {
    body += "; filename=\"";
    body += filename;
    body += "\"\r\nContent-Type: image/png";
  }
  body += "\r\n\r\n" + value + "\r\n";
}

}  // namespace

bool openai_streams(const OpenAiCapabilities& caps, bool watched) {
  return watched && caps.partial_images > 0;
}

OpenAiBody openai_generation_body(const GenerationParams& params, const std::string& model,
                                  const OpenAiCapabilities& caps, bool stream) {
  return {"application/json", common_fields(params, model, caps, stream)
                                  .dump(-1, ' ', false, json::error_handler_t::replace)};
}

OpenAiBody openai_edit_body(const GenerationParams& params, const std::string& model,
                            const OpenAiCapabilities& caps, const GenerationInputs& inputs,
                            bool stream) {
  std::string body;
  add_part(body, "image", encode_png(required_input(inputs.image, "source"), {}), "image.png");
  add_part(body, "mask", encode_png(openai_mask(required_input(inputs.mask, "mask")), {}),
           "mask.png");
  const json fields = common_fields(params, model, caps, stream);
  for (auto field = fields.begin(); field != fields.end(); ++field) {
    add_part(body, field.key(), field->is_string() ? field->get<std::string>() : field->dump());
  }
  body += "--";
  body += kBoundary;
  body += "--\r\n";
  return {std::string("multipart/form-data; boundary=") + kBoundary, std::move(body)};
}

RawImage openai_mask(const RawImage& mask) {
  RawImage out = binary_mask(mask, 0, 0);
  out.alpha.resize(static_cast<std::size_t>(mask.width) * mask.height);
  const RawImage binary = binary_mask(mask, 255, 0);
  for (std::size_t i = 0; i < out.alpha.size(); ++i) {
    out.alpha[i] = binary.rgb[i * 3] == 255 ? 0 : 255;
  }
  return out;
}

}  // namespace rendermart
