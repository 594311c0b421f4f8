#pragma once

// Reading JSON request bodies into C++ values, with errors that name the offending field.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace rendermart::api {

// The body as a JSON object; throws unsupported_media_type when a Content-Type other than
// application/json is sent, invalid_json for anything but an object (including invalid UTF-8)
// and invalid_argument for fields not in `allowed`.
nlohmann::json parse_object(const http::Request& request, const std::set<std::string>& allowed);

// Each returns nothing when the field is absent (or null) and throws invalid_argument naming the
// field when it has the wrong type or range.
std::optional<std::string> optional_string(const nlohmann::json& object, const std::string& field);
std::optional<std::int64_t> optional_integer(const nlohmann::json& object, const std::string& field,
                                             std::int64_t min, std::int64_t max);
std::optional<double> optional_number(const nlohmann::json& object, const std::string& field);
std::optional<bool> optional_bool(const nlohmann::json& object, const std::string& field);
std::optional<std::vector<std::string>> optional_string_array(const nlohmann::json& object,
                                                              const std::string& field);
std::string required_string(const nlohmann::json& object, const std::string& field);

// Query parameters.
int limit_param(const http::Request& request);
std::string cursor_param(const http::Request& request);

}  // namespace rendermart::api
