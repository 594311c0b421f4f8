#include "providers/bedrock/bedrock_check.hpp"

#include <map>
#include <nlohmann/json.hpp>

namespace rendermart {
namespace {

// Model id -> lifecycle status (ACTIVE, LEGACY) from ListFoundationModels; nothing when the
// listing is not allowed, with the reason in `problem`.
std::optional<std::map<std::string, std::string>> list_image_models(const BedrockClient& client,
                                                                    std::string& problem) {
  const auto response = client.control_get("/foundation-models", {{"byOutputModality", "IMAGE"}});
  if (response.status != 200) {
    problem = invoke_error(response, "(listing)", client.options().region).what();
    return std::nullopt;
  }
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  std::map<std::string, std::string> models;
  if (!body.is_object() || !body.contains("modelSummaries") || !body["modelSummaries"].is_array()) {
    problem = "ListFoundationModels answered without modelSummaries";
    return std::nullopt;
  }
  for (const auto& summary : body["modelSummaries"]) {
    if (!summary.is_object() || !summary.contains("modelId")) continue;
    std::string status = "ACTIVE";
    if (summary.contains("modelLifecycle") && summary["modelLifecycle"].is_object()) {
      status = summary["modelLifecycle"].value("status", status);
    }
    models[summary["modelId"].get<std::string>()] = status;
  }
  return models;
}

}  // namespace

std::vector<ModelCheck> check_bedrock(const BedrockClient& client,
                                      const std::vector<std::string>& model_ids) {
  client.credentials();
  std::string listing_problem;
  const auto listed = list_image_models(client, listing_problem);
  std::vector<ModelCheck> checks;
  for (const auto& id : model_ids) {
    ModelCheck check{id, false, ""};
    if (listed && !listed->count(id)) {
      check.detail = "not offered in " + client.options().region + " (ListFoundationModels)";
      checks.push_back(check);
      continue;
    }
    const std::string lifecycle = listed ? listed->at(id) : "lifecycle unknown: " + listing_problem;
    const auto probe = client.invoke_once(id, "{}");
    const std::string code = aws::error_code(probe);
    if (probe.status == 400 && code == "ValidationException") {
      check.usable = true;
      check.detail = "access granted (" + lifecycle + ")";
    } else if (probe.status == 429) {
      check.usable = true;
      check.detail = "access granted, but throttled now (" + lifecycle + ")";
    } else {
      check.detail = invoke_error(probe, id, client.options().region).what();
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace rendermart
