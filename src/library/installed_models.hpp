#pragma once

// What the models folder holds: each model's format, size on disk, where it came from and its
// license (its rendermart.json), and whether the local engine can run it; and removal.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "library/models_folder.hpp"

namespace rendermart::library {

// What the local engine makes of a model on disk: its family (sd1, sd2) when it can run it,
// else why not.
struct ModelCheck {
  std::string family;
  std::string problem;  // empty: usable
};
// Checks the model folder or checkpoint file at a path. Thread-safe; it reads files.
using ModelChecker = std::function<ModelCheck(const std::string& path)>;

struct InstalledModel {
  std::string name;
  ModelFormat format = ModelFormat::diffusers;
  std::string path;
  std::int64_t size_bytes = 0;
  std::string source;   // empty: unknown
  std::string license;  // empty: unknown
  ModelCheck check;
};

// Every model folder (one with a model_index.json) and checkpoint of the folder, by name, each
// checked with `checker`. An absent folder holds nothing.
std::vector<InstalledModel> list_installed(const ModelsFolder& folder, const ModelChecker& checker);

// The source and license a model's settings file records (empty when absent or unreadable:
// the checker reports a broken file).
struct Provenance {
  std::string source;
  std::string license;
};
Provenance read_provenance(const std::string& settings_path);

// Writes a settings file with `source` and, when known, `license`, keeping the other settings
// an existing file has (a folder added with its own rendermart.json). Atomic: a temporary file
// renamed over the old one.
void write_provenance(const std::string& settings_path, const Provenance& provenance);

// Deletes the model: it disappears from the folder at once (renamed into .partial, then
// deleted). Throws Error(not_found) when nothing is installed under the name,
// Error(conflict) while a pull or copy holds the name (another process included).
void remove_installed(const ModelsFolder& folder, const std::string& name);

// The bytes of a file, or of every file below a folder.
std::int64_t size_on_disk(const std::string& path);

}  // namespace rendermart::library
