#include "api/json_body.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "http/media_type.hpp"

namespace rendermart::api {
namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 100;

const nlohmann::json* find(const nlohmann::json& object, const std::string& field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

nlohmann::json parse_object(const http::Request& request, const std::set<std::string>& allowed) {
  if (auto type = request.header("content-type");
      type && http::media_type(*type) != "application/json") {
    throw Error(ErrorCode::unsupported_media_type,
                "send the body as Content-Type: application/json");
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    throw Error(ErrorCode::invalid_json,
                "the body is not valid JSON (it must be a UTF-8 JSON object)");
  }
  if (!body.is_object()) throw Error(ErrorCode::invalid_json, "the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (!allowed.count(key)) throw invalid_argument(key, "unknown field '" + key + "'");
  }
  return body;
}

std::optional<std::string> optional_string(const nlohmann::json& object, const std::string& field) {
  const auto* value = find(object, field);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw invalid_argument(field, field + " must be a string");
  return value->get<std::string>();
}

std::string required_string(const nlohmann::json& object, const std::string& field) {
  auto value = optional_string(object, field);
  if (!value) throw invalid_argument(field, field + " is required");
  return *value;
}

std::optional<std::int64_t> optional_integer(const nlohmann::json& object, const std::string& field,
                                             std::int64_t min, std::int64_t max) {
  const auto* value = find(object, field);
  if (!value) return std::nullopt;
  const auto range_error = [&] {
    return invalid_argument(field, field + " must be an integer between " + std::to_string(min) +
                                       " and " + std::to_string(max));
  };
  if (value->is_number_integer()) {
    if (value->is_number_unsigned()) {
      const auto v = value->get<std::uint64_t>();
      // JSON parsers read every non-negative integer as unsigned: 0 must still meet a minimum.
      if (v > static_cast<std::uint64_t>(max) || static_cast<std::int64_t>(v) < min) {
        throw range_error();
      }
      return static_cast<std::int64_t>(v);
    }
    const auto v = value->get<std::int64_t>();
    if (v < min || v > max) throw range_error();
    return v;
  }
  if (value->is_number_float()) {
    const double v = value->get<double>();
    if (std::isfinite(v) && v == std::floor(v) && v >= static_cast<double>(min) &&
        v <= static_cast<double>(max)) {
      return static_cast<std::int64_t>(v);
    }
  }
  throw range_error();
}

std::optional<double> optional_number(const nlohmann::json& object, const std::string& field) {
  const auto* value = find(object, field);
  if (!value) return std::nullopt;
  if (!value->is_number() || !std::isfinite(value->get<double>())) {
    throw invalid_argument(field, field + " must be a number");
  }
  return value->get<double>();
}

std::optional<bool> optional_bool(const nlohmann::json& object, const std::string& field) {
  const auto* value = find(object, field);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) throw invalid_argument(field, field + " must be true or false");
  return value->get<bool>();
}

std::optional<std::vector<std::string>> optional_string_array(const nlohmann::json& object,
                                                              const std::string& field) {
  const auto* value = find(object, field);
  if (!value) return std::nullopt;
  const auto error = [&] {
    return invalid_argument(field, field + " must be an array of strings");
  };
  if (!value->is_array()) throw error();
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string()) throw error();
    out.push_back(item.get<std::string>());
  }
  return out;
}

int limit_param(const http::Request& request) {
  const auto text = request.query_param("limit");
  if (!text) return kDefaultLimit;
  int limit = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > kMaxLimit) {
    throw invalid_argument("limit",
                           "limit must be an integer between 1 and " + std::to_string(kMaxLimit));
  }
  return limit;
}

std::string cursor_param(const http::Request& request) {
  const auto text = request.query_param("cursor");
  if (!text || text->empty()) return {};
  return decode_cursor(*text);
}

}  // namespace rendermart::api
