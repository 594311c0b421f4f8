#pragma once

// Domain values to their JSON representation (the shapes in openapi/openapi.yaml), written
// straight into the response text with a JsonWriter.
//
// Object keys are written in alphabetical order: the order the responses have always had (they
// were nlohmann::json objects, which keep keys sorted), so clients see the same bytes.

#include <optional>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "core/ids.hpp"
#include "core/json_writer.hpp"
#include "core/model_info.hpp"
#include "http/message.hpp"

namespace rendermart::api {

// A JSON response from finished JSON text.
http::Response json_reply(unsigned status, std::string body);

void write_user(JsonWriter& w, const User& user);
// The secret only when the key was just created: it is never shown again.
void write_api_key(JsonWriter& w, const ApiKey& key, const std::string* secret = nullptr);
// The code only when given: it is shown once, when the invitation is created.
void write_invitation(JsonWriter& w, const Invitation& invitation,
                      const std::string* code = nullptr);
void write_preferences(JsonWriter& w, const Preferences& prefs);
void write_params(JsonWriter& w, const GenerationParams& params);
void write_generation(JsonWriter& w, const Job& job, std::optional<int> queue_position);
void write_image(JsonWriter& w, const Image& image);
void write_model(JsonWriter& w, const ModelInfo& model);
// The text, or null when it is empty (an absent image id, an unknown license).
void write_optional_text(JsonWriter& w, const std::string& text);

// The JSON text of one value, written by `write(JsonWriter&, const T&)`.
template <typename T, typename Write>
std::string render(const T& value, Write write) {
  JsonWriter w;
  write(w, value);
  return w.take();
}

// {"user": {...}}
std::string render_user_envelope(const User& user);

// {"items": [...]}
template <typename T, typename Write>
std::string render_items(const std::vector<T>& items, Write write) {
  JsonWriter w;
  w.begin_object();
  w.key("items");
  w.begin_array();
  for (const auto& item : items) write(w, item);
  w.end_array();
  w.end_object();
  return w.take();
}

// The room a page reserves per item: an image's JSON takes about 1 KB (so a page's buffer is
// allocated once instead of doubling a dozen times); a larger item only grows it again.
inline constexpr std::size_t kPageItemBytes = 1536;

// {"items": [...], "next_cursor": ...}: a next cursor, from id_of(last item), only when the page
// is full.
template <typename T, typename Write, typename IdOf>
std::string render_page(const std::vector<T>& items, int limit, Write write, IdOf id_of) {
  JsonWriter w;
  w.reserve(items.size() * kPageItemBytes);
  w.begin_object();
  w.key("items");
  w.begin_array();
  for (const auto& item : items) write(w, item);
  w.end_array();
  w.key("next_cursor");
  if (!items.empty() && static_cast<int>(items.size()) == limit) {
    w.value(encode_cursor(id_of(items.back())));
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

template <typename T, typename Write>
std::string render_page(const std::vector<T>& items, int limit, Write write) {
  return render_page(items, limit, write, [](const T& item) { return item.id; });
}

}  // namespace rendermart::api
