#include "library/installed_models.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "library/install_lock.hpp"
#include "library/model_source.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCheckpointSuffix = ".safetensors";

nlohmann::json read_json_object(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, false);
  return json.is_object() ? json : nlohmann::json::object();
}

}  // namespace

std::int64_t size_on_disk(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return static_cast<std::int64_t>(fs::file_size(path, ec));
  std::int64_t total = 0;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<std::int64_t>(it->file_size(ec));
  }
  return total;
}

std::vector<InstalledModel> list_installed(const ModelsFolder& folder,
                                           const ModelChecker& checker) {
  std::vector<InstalledModel> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder.dir(), ec)) {
    const auto file_name = entry.path().filename().string();
    if (file_name.starts_with(".")) continue;
    InstalledModel model;
    if (entry.is_directory(ec) && fs::exists(entry.path() / "model_index.json", ec)) {
      model.name = file_name;
      model.format = ModelFormat::diffusers;
    } else if (entry.is_regular_file(ec) && file_name.ends_with(kCheckpointSuffix)) {
      model.name = file_name.substr(0, file_name.size() - kCheckpointSuffix.size());
      model.format = ModelFormat::single_file;
    } else {
      continue;
    }
    model.path = folder.path(model.name, model.format);
    model.size_bytes = size_on_disk(model.path);
    const auto provenance = read_provenance(folder.settings(model.name, model.format));
    model.source = provenance.source;
    model.license = provenance.license;
    if (checker) model.check = checker(model.path);
    out.push_back(std::move(model));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Provenance read_provenance(const std::string& settings_path) {
  const auto json = read_json_object(settings_path);
  Provenance provenance;
  if (json.contains("source") && json["source"].is_string()) provenance.source = json["source"];
  if (json.contains("license") && json["license"].is_string()) provenance.license = json["license"];
  return provenance;
}

void write_provenance(const std::string& settings_path, const Provenance& provenance) {
  auto json = read_json_object(settings_path);
  json["source"] = provenance.source;
  if (!provenance.license.empty()) json["license"] = provenance.license;
  const auto temporary = settings_path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json.dump(2) << "\n";
    if (!out.flush()) {
      throw Error(ErrorCode::storage_error, "cannot write " + temporary + ": is the disk full?");
    }
  }
  fs::rename(temporary, settings_path);
}

void remove_installed(const ModelsFolder& folder, const std::string& name) {
  check_model_name(name);
  const auto format = folder.installed(name);
  if (!format) throw not_found("model '" + name + "' in " + folder.dir());
  fs::create_directories(folder.partial_root());
  const auto lock = InstallLock::try_acquire(folder.lock(name));
  if (!lock) {
    throw Error(ErrorCode::conflict, "model " + name +
                                         " is being installed right now: cancel that "
                                         "pull first, or wait for it to finish");
  }
  if (*format == ModelFormat::single_file) {
    // The weights first: without them the settings file beside them is no model.
    fs::remove(folder.checkpoint(name));
    fs::remove(folder.checkpoint_settings(name));
    return;
  }
  // A rename makes the model vanish at once for every reader; deleting gigabytes takes longer.
  const auto doomed = folder.partial_root() + "/.removed-" + name + "-" + random_hex(4);
  fs::rename(folder.folder(name), doomed);
  fs::remove_all(doomed);
}

}  // namespace rendermart::library
