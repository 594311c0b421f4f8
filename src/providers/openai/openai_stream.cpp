#include "providers/openai/openai_stream.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {

using nlohmann::json;

OpenAiImageStream::OpenAiImageStream(std::string source, std::function<void(RawImage)> on_partial)
    : source_(std::move(source)), on_partial_(std::move(on_partial)) {}

void OpenAiImageStream::feed(std::string_view piece) {
  // Lines may end with CRLF; the JSON of an event never holds a raw CR.
  for (const char c : piece) {
    if (c != '\r') pending_ += c;
  }
  // Events end with a blank line; a line "data: ..." carries the event's JSON (the "event:"
  // line repeats its type, which the JSON holds too).
  for (auto end = pending_.find("\n\n"); end != std::string::npos; end = pending_.find("\n\n")) {
    std::string block = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    std::string data;
    std::size_t start = 0;
    while (start <= block.size()) {
      auto line_end = block.find('\n', start);
      if (line_end == std::string::npos) line_end = block.size();
      std::string_view line(block.data() + start, line_end - start);
      if (line.starts_with("data:")) {
        line.remove_prefix(line.starts_with("data: ") ? 6 : 5);
        if (!data.empty()) data += '\n';
        data.append(line);
      }
      start = line_end + 1;
    }
    if (data.empty()) continue;
    try {
      event(data);
    } catch (const std::exception& e) {
      // A malformed event (a field of the wrong type): the stream cannot be trusted.
      if (error_message_.empty())
        error_message_ = std::string("an unreadable event (") + e.what() + ")";
    }
  }
}

void OpenAiImageStream::event(const std::string& data) {
  const auto payload = json::parse(data, nullptr, false);
  if (!payload.is_object()) return;
  const std::string type = payload.value("type", "");
  if (type == "error" || payload.contains("error")) {
    const auto& error =
        payload.contains("error") && payload["error"].is_object() ? payload["error"] : payload;
    error_message_ = error.value("message", "the stream reported an error");
    error_code_ = error.value("code", error.value("type", ""));
    return;
  }
  if (!payload.contains("b64_json") || !payload["b64_json"].is_string()) return;
  if (type.ends_with(".partial_image")) {
    try {
      if (on_partial_)
        on_partial_(image_from_base64(payload["b64_json"].get<std::string>(), source_));
    } catch (const std::exception&) {
      // Only a preview (and this runs inside the transfer, which must not throw): the completed
      // image still decides.
    }
  } else if (type.ends_with(".completed")) {
    completed_.push_back(payload["b64_json"].get<std::string>());
  }
}

std::vector<RawImage> OpenAiImageStream::finish() {
  if (!pending_.empty()) feed("\n\n");
  if (!error_message_.empty()) {
    if (error_code_ == "moderation_blocked" || error_code_ == "content_policy_violation") {
      throw Error(ErrorCode::content_filtered,
                  source_ + " refused the prompt (" + error_message_ + ")");
    }
    throw Error(ErrorCode::provider_error, source_ + " failed while streaming: " + error_message_);
  }
  if (completed_.empty()) {
    throw Error(ErrorCode::provider_error, source_ + " ended its stream without an image");
  }
  std::vector<RawImage> images;
  for (const auto& b64 : completed_) images.push_back(image_from_base64(b64, source_));
  return images;
}

}  // namespace rendermart
