#include "store/records.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart::records {

std::string insert_statement(std::string_view table, const std::string& columns, char placeholder) {
  const auto count = std::count(columns.begin(), columns.end(), ',') + 1;
  std::string values;
  for (int i = 1; i <= count; ++i) {
    if (i > 1) values += ", ";
    values += placeholder + std::to_string(i);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", table, columns, values);
}

std::string encode_tags(const std::vector<std::string>& tags) {
  return nlohmann::json(tags).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> decode_tags(const std::string& text) {
  if (text == "[]") return {};  // the common case, without a parse
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) {
    throw Error(ErrorCode::internal, fmt::format("malformed image tags in the database: {}", text));
  }
  std::vector<std::string> tags;
  for (const auto& tag : json) {
    if (tag.is_string()) tags.push_back(tag.get<std::string>());
  }
  return tags;
}

std::string encode_loras(const std::vector<LoraUse>& loras) {
  auto json = nlohmann::json::array();
  for (const auto& lora : loras) {
    json.push_back({{"name", lora.name}, {"weight", lora.weight}, {"hash", lora.hash}});
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<LoraUse> decode_loras(const std::string& text) {
  if (text == "[]") return {};  // the common case, without a parse
  const auto json = nlohmann::json::parse(text, nullptr, false);
  const auto malformed = [&] {
    return Error(ErrorCode::internal, fmt::format("malformed LoRAs in the database: {}", text));
  };
  if (!json.is_array()) throw malformed();
  std::vector<LoraUse> loras;
  for (const auto& item : json) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) throw malformed();
    loras.push_back({item["name"].get<std::string>(), item.value("weight", 1.0),
                     item.value("hash", std::string())});
  }
  return loras;
}

JobStatus parse_status(const std::string& text) {
  const auto status = job_status_from_string(text);
  if (!status) {
    throw Error(ErrorCode::internal, fmt::format("unknown job status '{}' in the database", text));
  }
  return *status;
}

GenerationTask parse_task(const std::string& text) {
  const auto task = generation_task_from_string(text);
  if (!task) {
    throw Error(ErrorCode::internal,
                fmt::format("unknown generation task '{}' in the database", text));
  }
  return *task;
}

}  // namespace rendermart::records
