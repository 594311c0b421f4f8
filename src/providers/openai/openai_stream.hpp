#pragma once

// The server-sent events of a streamed image request (stream: true): a partial image now and
// then ("image_generation.partial_image", "image_edit.partial_image": {b64_json,
// partial_image_index, ...}), then one "*.completed" event per image ({b64_json, usage, ...}),
// or an "error" event. Events are read as the body arrives.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.hpp"

namespace rendermart {

class OpenAiImageStream {
 public:
  // `on_partial` receives each partial image, decoded; `source` names the service in errors.
  OpenAiImageStream(std::string source, std::function<void(RawImage)> on_partial);

  // A piece of the body, as it arrives. Never throws: a partial image that cannot be read is
  // skipped (it is only a preview), and an error is kept for finish().
  void feed(std::string_view piece);
  // The completed images, in order. Throws the error event's Error (content_filtered for a
  // moderation refusal), or provider_error for a stream without a completed image.
  std::vector<RawImage> finish();

 private:
  void event(const std::string& data);

  std::string source_;
  std::function<void(RawImage)> on_partial_;
  std::string pending_;                 // the part of the body after the last complete event
  std::vector<std::string> completed_;  // base64 of each completed image
  std::string error_message_;
  std::string error_code_;
};

}  // namespace rendermart
