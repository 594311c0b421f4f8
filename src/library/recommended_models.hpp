#pragma once

// The models RenderMart suggests installing when none is: one small table, its facts and where
// they come from written down in docs/models.md.

#include <cstdint>
#include <span>
#include <string_view>

namespace rendermart::library {

struct RecommendedModel {
  std::string_view source;  // what to pull: OWNER/NAME
  std::string_view name;    // what it installs as
  std::string_view description;
  std::string_view license;     // what its repository's LICENSE is
  std::int64_t download_bytes;  // what a pull with the default variant downloads, about
};

std::span<const RecommendedModel> recommended_models();

// The entry for a Hub repository id (OWNER/NAME), or nullptr.
const RecommendedModel* recommended_model(std::string_view repo_id);

}  // namespace rendermart::library
