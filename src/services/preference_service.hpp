#pragma once

#include <string>

#include "core/domain.hpp"
#include "services/model_catalog.hpp"
#include "store/store.hpp"

namespace rendermart {

class PreferenceService {
 public:
  PreferenceService(Store& store, const ModelCatalog& catalog);

  // The saved preferences, or the empty defaults.
  Preferences get(const std::string& user_id);
  // Validates against the catalog (model exists, style and size allowed for it) and saves.
  // Throws invalid_argument naming the field.
  Preferences put(const std::string& user_id, const Preferences& prefs);

 private:
  Store& store_;
  const ModelCatalog& catalog_;
};

}  // namespace rendermart
