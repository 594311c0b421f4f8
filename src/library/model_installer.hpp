#pragma once

// Installs models into the models folder: pulled from the Hugging Face Hub (a diffusers
// repository), pulled from a URL (one .safetensors checkpoint), or added from a file or folder on
// this machine; and LoRAs, pulled from a Hub repository into its loras/ folder. Every install is
// assembled in .partial/<name>/ and renamed into place when complete, so that the folder never
// shows half a model; a pull that stops (killed, network cut, canceled) leaves its partial folder,
// and the next pull of the same source resumes it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "library/file_selection.hpp"
#include "library/hub_settings.hpp"
#include "library/installed_models.hpp"
#include "library/models_folder.hpp"

namespace rendermart::library {

struct PullOptions {
  std::string source;  // OWNER/NAME[@REVISION] or an https URL, as the user writes it
  std::string name;    // empty: pull_name()
  Variant variant = Variant::automatic;
  // A LoRA from a Hub repository of LoRAs, into the models folder's loras/: `file`, the
  // repository's .safetensors file to take (empty: its only one).
  bool lora = false;
  std::string file;
};

// Where a pull stands. Totals are unknown (nothing) until the files are listed.
struct PullProgress {
  std::int64_t bytes_done = 0;  // on disk, resumed bytes included
  std::optional<std::int64_t> bytes_total;
  int files_done = 0;
  std::optional<int> files_total;
  std::string current_file;  // its path in the repository, or the checkpoint's file name
};

struct InstallEvents {
  // Called on the installing thread as bytes arrive (often: throttle before drawing).
  std::function<void(const PullProgress&)> progress;
  // One line a user should read: waiting for another install of the name, resuming.
  std::function<void(const std::string&)> notice;
};

struct InstallResult {
  std::string name;
  ModelFormat format = ModelFormat::diffusers;
  std::string path;
  std::string source;   // as recorded in the settings: hf:OWNER/NAME@COMMIT, the URL, file:PATH
  std::string license;  // empty: unknown
  std::int64_t bytes_downloaded =
      0;                           // over the network this time (less than the size when resumed)
  bool already_installed = false;  // another process installed it while this one waited
};

// The name an install of `source` uses (`name`, else the source's default) after checking both.
// Throws Error(invalid_argument) with field "source" or "name".
std::string install_name(const std::string& source, const std::string& name);
// The name a pull installs under: install_name(), except for a LoRA named by its file when no
// name is given (the file's name without .safetensors: what <lora:name> says). Throws as
// install_name.
std::string pull_name(const PullOptions& options);

class ModelInstaller {
 public:
  // `checker` validates what `add` copies (the engine's own reading of a model).
  ModelInstaller(ModelsFolder folder, HubSettings hub, ModelChecker checker);

  const ModelsFolder& folder() const { return folder_; }
  const ModelChecker& checker() const { return checker_; }

  // Pulls a Hub repository or a URL, or a LoRA file of a Hub repository. Thread-safe; blocks
  // until done. Throws Error: those of HubClient::listing and download_file, model_error (not a
  // pipeline the engine runs; a URL that is no safetensors file; a LoRA file that is no kohya
  // LoRA), invalid_argument (a LoRA pull's file, or a LoRA from a URL), conflict (the name is
  // taken by another model or LoRA), canceled.
  InstallResult pull(const PullOptions& options, const InstallEvents& events,
                     const std::atomic<bool>& cancel) const;

  // Copies a model folder (with model_index.json) or a .safetensors checkpoint (with its
  // NAME.rendermart.json when present) into the models folder, after checking it with the
  // checker. Throws Error: invalid_argument (nothing usable at `path`), model_error (what the
  // checker found), conflict, storage_error.
  InstallResult add(const std::string& path, const std::string& name,
                    const InstallEvents& events) const;

 private:
  InstallResult pull_repo(const PullOptions& options, const std::string& name,
                          const InstallEvents& events, const std::atomic<bool>& cancel) const;
  InstallResult pull_url(const std::string& url, const std::string& name,
                         const InstallEvents& events, const std::atomic<bool>& cancel) const;
  // The downloads and the install, once the name's lock is held.
  InstallResult pull_locked(const PullOptions& options, const std::string& name,
                            const InstallEvents& events, const std::atomic<bool>& cancel) const;
  InstallResult pull_url_locked(const std::string& url, const std::string& name,
                                const InstallEvents& events, const std::atomic<bool>& cancel) const;
  InstallResult pull_lora(const PullOptions& options, const std::string& name,
                          const InstallEvents& events, const std::atomic<bool>& cancel) const;

  ModelsFolder folder_;
  HubSettings hub_;
  ModelChecker checker_;
};

}  // namespace rendermart::library
