#pragma once

// Domain values to their JSON representation (the shapes in openapi/openapi.yaml).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/domain.hpp"
#include "core/ids.hpp"
#include "http/message.hpp"
#include "providers/provider.hpp"

namespace rendermart::api {

// A JSON response; strings are valid UTF-8 by construction.
http::Response json_reply(unsigned status, const nlohmann::json& body);

nlohmann::json render_user(const User& user);
nlohmann::json render_api_key(const ApiKey& key);
nlohmann::json render_preferences(const Preferences& prefs);
nlohmann::json render_params(const GenerationParams& params);
nlohmann::json render_generation(const Job& job, std::optional<int> queue_position);
nlohmann::json render_image(const Image& image);
nlohmann::json render_model(const ModelInfo& model);

// {"items": [...], "next_cursor": ...}: a next cursor only when the page is full.
template <typename T, typename Render>
nlohmann::json render_page(const std::vector<T>& items, int limit, Render render) {
  nlohmann::json out = {{"items", nlohmann::json::array()}, {"next_cursor", nullptr}};
  for (const auto& item : items) out["items"].push_back(render(item));
  if (!items.empty() && static_cast<int>(items.size()) == limit) {
    out["next_cursor"] = encode_cursor(items.back().id);
  }
  return out;
}

}  // namespace rendermart::api
