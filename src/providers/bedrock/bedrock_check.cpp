#include "providers/bedrock/bedrock_check.hpp"

#include <map>
#include <optional>

#include "aws/service_errors.hpp"
#include "providers/bedrock/bedrock_listing.hpp"

namespace rendermart {

std::vector<ModelCheck> check_bedrock(const BedrockClient& client,
                                      const std::vector<std::string>& model_ids) {
  client.credentials();
  std::string listing_problem;
  std::optional<std::map<std::string, Lifecycle>> listed;
  try {
    listed = list_bedrock_image_models(client);
  } catch (const Error& e) {
    listing_problem = e.what();
  }
  const std::string today = utc_today();
  std::vector<ModelCheck> checks;
  for (const auto& id : model_ids) {
    ModelCheck check{id, false, "", ""};
    if (listed && !listed->count(id)) {
      check.detail = "not offered in " + client.options().region + " (ListFoundationModels)";
      checks.push_back(check);
      continue;
    }
    const auto lifecycle = listed ? std::optional(listed->at(id)) : std::nullopt;
    if (lifecycle && offer_for(*lifecycle, today) == Offer::never) {
      check.detail = "reached its end of life on " + lifecycle->shutdown_date;
      checks.push_back(check);
      continue;
    }
    const std::string state =
        lifecycle ? describe_lifecycle(*lifecycle) : "lifecycle unknown: " + listing_problem;
    const auto probe = client.invoke_once(id, "{}");
    const std::string code = aws::error_code(probe);
    if (probe.status == 400 && code == "ValidationException") {
      check.usable = true;
      check.detail = "access granted (" + state + ")";
    } else if (probe.status == 429) {
      check.usable = true;
      check.detail = "access granted, but throttled now (" + state + ")";
    } else {
      check.detail = invoke_error(probe, id, client.options().region).what();
    }
    if (check.usable && lifecycle && offer_for(*lifecycle, today) == Offer::when_named) {
      check.warning = shutdown_warning(id, *lifecycle, "RENDERMART_BEDROCK_MODELS");
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace rendermart
