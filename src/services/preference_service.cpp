#include "services/preference_service.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "services/generation_request.hpp"

namespace rendermart {
namespace {
constexpr std::size_t kMaxNegativePrompt = 2000;
}

PreferenceService::PreferenceService(Store& store, const ModelCatalog& catalog)
    : store_(store), catalog_(catalog) {}

Preferences PreferenceService::get(const std::string& user_id) {
  return store_.get_preferences(user_id).value_or(Preferences{});
}

Preferences PreferenceService::put(const std::string& user_id, const Preferences& prefs) {
  if (prefs.theme != "light" && prefs.theme != "dark" && prefs.theme != "system") {
    throw invalid_argument("theme", "theme must be light, dark or system");
  }
  if (utf8_length(prefs.negative_prompt) > kMaxNegativePrompt) {
    throw invalid_argument(
        "negative_prompt",
        "negative prompt is longer than " + std::to_string(kMaxNegativePrompt) + " characters");
  }
  if ((prefs.width == 0) != (prefs.height == 0)) {
    throw invalid_argument(prefs.width == 0 ? "width" : "height",
                           "set both width and height, or neither");
  }
  if (!prefs.model.empty()) {
    // Checks the model's own rules by validating a request that uses every preference.
    const ModelInfo model = catalog_.model(prefs.model);
    GenerationParams probe;
    probe.prompt = "preferences";
    probe.model = model.id;
    probe.style = prefs.style;
    probe.negative_prompt = model.negative_prompt ? prefs.negative_prompt : "";
    probe.width = prefs.width ? prefs.width : model.default_size.width;
    probe.height = prefs.height ? prefs.height : model.default_size.height;
    probe.steps = model.steps.default_value;
    probe.cfg_scale = model.cfg_scale.default_value;
    validate_generation(probe, model);
  } else if (prefs.width < 0 || prefs.height < 0 || prefs.width > 8192 || prefs.height > 8192) {
    throw invalid_argument("width", "width and height must be between 0 and 8192");
  }
  store_.put_preferences(user_id, prefs);
  return prefs;
}

}  // namespace rendermart
