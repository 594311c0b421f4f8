#include "library/hub_settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include "core/text.hpp"

namespace rendermart::library {
namespace {

std::string variable(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool is_true(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return value == "1" || value == "ON" || value == "YES" || value == "TRUE";
}

std::string token_file() {
  if (auto path = variable("HF_TOKEN_PATH"); !path.empty()) return path;
  auto home = variable("HF_HOME");
  if (home.empty()) {
    auto cache = variable("XDG_CACHE_HOME");
    if (cache.empty()) {
      const auto user_home = variable("HOME");
      if (user_home.empty()) return {};
      cache = user_home + "/.cache";
    }
    home = cache + "/huggingface";
  }
  return home + "/token";
}

std::string read_token_file(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return trim_space(text.str());
}

}  // namespace

HubSettings HubSettings::from_environment() {
  HubSettings settings;
  if (auto endpoint = trim_space(variable("HF_ENDPOINT")); !endpoint.empty()) {
    while (endpoint.ends_with('/')) endpoint.pop_back();
    settings.endpoint = endpoint;
  }
  settings.token = trim_space(variable("HF_TOKEN"));
  if (settings.token.empty()) settings.token = trim_space(variable("HUGGING_FACE_HUB_TOKEN"));
  if (settings.token.empty()) settings.token = read_token_file(token_file());
  settings.offline = is_true(variable("HF_HUB_OFFLINE"));
  return settings;
}

}  // namespace rendermart::library
