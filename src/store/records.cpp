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
