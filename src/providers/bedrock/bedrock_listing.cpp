#include "providers/bedrock/bedrock_listing.hpp"

#include <nlohmann/json.hpp>

#include "aws/service_errors.hpp"
#include "core/iso_time.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

// endOfLifeTime as a date: a timestamp is ISO 8601 text or epoch seconds depending on the
// protocol's serializer, so both are read.
std::string date_of(const json& time) {
  if (time.is_string()) {
    const auto text = time.get<std::string>();
    return parse_iso8601(text) ? text.substr(0, 10) : "";
  }
  if (time.is_number()) {
    return format_iso8601(static_cast<Millis>(time.get<double>() * 1000)).substr(0, 10);
  }
  return "";
}

}  // namespace

std::map<std::string, Lifecycle> list_bedrock_image_models(const BedrockClient& client) {
  const auto& region = client.options().region;
  const auto response = client.control_get("/foundation-models", {{"byOutputModality", "IMAGE"}});
  if (response.status != 200) {
    const std::string code = aws::error_code(response);
    const std::string detail =
        "HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code);
    if (response.status == 401 || response.status == 403) {
      throw Error(ErrorCode::provider_misconfigured,
                  "Bedrock in " + region + " refused ListFoundationModels (" + detail +
                      "): allow bedrock:ListFoundationModels in the IAM policy, and check the "
                      "credentials and clock");
    }
    throw Error(ErrorCode::provider_error,
                "Bedrock in " + region + " could not list its models (" + detail + ")");
  }
  const auto body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("modelSummaries") || !body["modelSummaries"].is_array()) {
    throw Error(ErrorCode::provider_error,
                "ListFoundationModels in " + region + " answered without modelSummaries");
  }
  std::map<std::string, Lifecycle> models;
  for (const auto& summary : body["modelSummaries"]) {
    if (!summary.is_object() || !summary.contains("modelId") || !summary["modelId"].is_string()) {
      continue;
    }
    Lifecycle lifecycle;
    if (summary.contains("modelLifecycle") && summary["modelLifecycle"].is_object()) {
      const auto& cycle = summary["modelLifecycle"];
      lifecycle.legacy = cycle.value("status", "ACTIVE") == "LEGACY";
      if (cycle.contains("endOfLifeTime"))
        lifecycle.shutdown_date = date_of(cycle["endOfLifeTime"]);
    }
    models[summary["modelId"].get<std::string>()] = lifecycle;
  }
  return models;
}

std::string describe_lifecycle(const Lifecycle& lifecycle) {
  if (!lifecycle.legacy && lifecycle.shutdown_date.empty()) return "ACTIVE";
  return std::string(lifecycle.legacy ? "LEGACY" : "ACTIVE") +
         (lifecycle.shutdown_date.empty() ? "" : ", end of life " + lifecycle.shutdown_date);
}

}  // namespace rendermart
