#include "library/models_folder.hpp"

#include <filesystem>

namespace rendermart::library {

const char* to_string(ModelFormat format) {
  return format == ModelFormat::diffusers ? "diffusers" : "single_file";
}

std::optional<ModelFormat> ModelsFolder::installed(const std::string& name) const {
  std::error_code ec;
  if (std::filesystem::is_directory(folder(name), ec)) return ModelFormat::diffusers;
  if (std::filesystem::is_regular_file(checkpoint(name), ec)) return ModelFormat::single_file;
  return std::nullopt;
}

std::string ModelsFolder::path(const std::string& name, ModelFormat format) const {
  return format == ModelFormat::diffusers ? folder(name) : checkpoint(name);
}

std::string ModelsFolder::settings(const std::string& name, ModelFormat format) const {
  return format == ModelFormat::diffusers ? folder(name) + "/rendermart.json"
                                          : checkpoint_settings(name);
}

}  // namespace rendermart::library
