#pragma once

// The layout of the models folder, in one place:
//   <dir>/<name>/                      a model in the diffusers layout (rendermart.json inside)
//   <dir>/<name>.safetensors           a single-file checkpoint,
//   <dir>/<name>.rendermart.json       and its settings
//   <dir>/.partial/<name>/             a pull or copy in progress (resumed by the next pull)
//   <dir>/.partial/<name>.source       what that partial download is of
//   <dir>/.partial/<name>.lock         held while a process installs or removes <name>
//   <dir>/loras/<name>.safetensors     a LoRA (its pull in progress: .partial/loras/<name>/...)
// Entries whose names start with '.' are never models.

#include <optional>
#include <string>

namespace rendermart::library {

enum class ModelFormat { diffusers, single_file };
const char* to_string(ModelFormat format);

class ModelsFolder {
 public:
  explicit ModelsFolder(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  std::string folder(const std::string& name) const { return dir_ + "/" + name; }
  std::string checkpoint(const std::string& name) const {
    return dir_ + "/" + name + ".safetensors";
  }
  std::string checkpoint_settings(const std::string& name) const {
    return dir_ + "/" + name + ".rendermart.json";
  }
  std::string partial_root() const { return dir_ + "/.partial"; }
  std::string partial(const std::string& name) const { return partial_root() + "/" + name; }
  std::string partial_source(const std::string& name) const { return partial(name) + ".source"; }
  std::string lock(const std::string& name) const { return partial(name) + ".lock"; }
  std::string loras() const { return dir_ + "/loras"; }
  std::string lora(const std::string& name) const { return loras() + "/" + name + ".safetensors"; }
  // The name a LoRA's pull has among the partial downloads (partial(), lock()): apart from the
  // models'.
  static std::string lora_partial(const std::string& name) { return "loras/" + name; }

  // The format of the model installed under `name`, or nothing.
  std::optional<ModelFormat> installed(const std::string& name) const;
  // Where its files are: the folder, or the checkpoint file.
  std::string path(const std::string& name, ModelFormat format) const;
  // Where its settings are: rendermart.json in the folder, or beside the checkpoint.
  std::string settings(const std::string& name, ModelFormat format) const;

 private:
  std::string dir_;
};

}  // namespace rendermart::library
