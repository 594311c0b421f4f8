#include "library/model_installer.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "library/file_download.hpp"
#include "library/file_writer.hpp"
#include "library/hub_client.hpp"
#include "library/install_lock.hpp"
#include "library/model_source.hpp"
#include "library/recommended_models.hpp"
#include "net/url.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSafetensors = ".safetensors";
// A safetensors header is JSON of a few hundred kilobytes at most; a larger length means the
// file is something else.
constexpr std::uint64_t kMaxSafetensorsHeader = 100 * 1024 * 1024;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out.flush()) throw_write_error(path, errno);
}

void notify(const InstallEvents& events, const std::string& line) {
  if (events.notice) events.notice(line);
}

Error name_taken(const ModelsFolder& folder, const std::string& name, ModelFormat format) {
  const auto source = read_provenance(folder.settings(name, format)).source;
  return Error(ErrorCode::conflict, "a model named " + name + " is already installed" +
                                        (source.empty() ? "" : " (from " + source + ")") +
                                        ": remove it first (rendermart "
                                        "models remove " +
                                        name + ") or install under another name");
}

// Takes the name's lock for one install. Nothing when, while this waited for the lock, another
// process installed the same thing (`same_source` of the installed model's source).
std::optional<InstallLock> reserve(const ModelsFolder& folder, const std::string& name,
                                   const std::function<bool(const std::string&)>& same_source,
                                   const InstallEvents& events, const std::atomic<bool>& cancel) {
  fs::create_directories(folder.partial_root());
  if (const auto format = folder.installed(name)) throw name_taken(folder, name, *format);
  bool waited = false;
  auto lock = InstallLock::acquire(folder.lock(name), cancel, [&] {
    waited = true;
    notify(events, "waiting: another process is installing " + name);
  });
  if (const auto format = folder.installed(name)) {
    if (waited && same_source(read_provenance(folder.settings(name, *format)).source))
      return std::nullopt;
    throw name_taken(folder, name, *format);
  }
  return lock;
}

// The partial folder of `name` for `marker` (what is being downloaded, exactly): kept when it
// holds the same thing, so that the download resumes; emptied when it holds something else.
std::string prepare_partial(const ModelsFolder& folder, const std::string& name,
                            const std::string& marker, const InstallEvents& events) {
  const auto dir = folder.partial(name);
  if (fs::exists(dir)) {
    if (read_text(folder.partial_source(name)) == marker) {
      notify(events, "resuming the earlier download of " + name);
    } else {
      fs::remove_all(dir);
    }
  }
  fs::create_directories(dir);
  write_text(folder.partial_source(name), marker);
  return dir;
}

// A pull the source refuses (no such repository, no access, not a pipeline the engine runs)
// leaves nothing to resume: its partial folder goes. Interrupted ones keep theirs.
void discard_if_refused(const ModelsFolder& folder, const std::string& name, const Error& error) {
  const auto code = error.code();
  if (code != ErrorCode::not_found && code != ErrorCode::forbidden &&
      code != ErrorCode::model_error)
    return;
  std::error_code ignored;
  fs::remove_all(folder.partial(name), ignored);
  fs::remove(folder.partial_source(name), ignored);
}

// The last step: the complete model appears under its name at once.
void move_into_place(const ModelsFolder& folder, const std::string& name, const std::string& from,
                     const std::string& to) {
  fs::rename(from, to);
  std::error_code ignored;
  fs::remove_all(folder.partial(name), ignored);
  fs::remove(folder.partial_source(name), ignored);
}

// The length of a safetensors file's JSON header: its first 8 bytes, little-endian.
std::uint64_t header_length(std::ifstream& in) {
  unsigned char length_bytes[8] = {};
  in.read(reinterpret_cast<char*>(length_bytes), sizeof length_bytes);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | length_bytes[i];
  return length;
}

// Catches what a URL gives instead of a checkpoint (an HTML page, a pickled file) before it is
// installed: a safetensors file starts with the length of its JSON header, then '{'.
void check_safetensors(const std::string& path, const std::string& origin) {
  std::ifstream in(path, std::ios::binary);
  const auto length = header_length(in);
  const auto size = static_cast<std::uint64_t>(fs::file_size(path));
  char first = 0;
  in.get(first);
  if (!in || length < 2 || length > kMaxSafetensorsHeader || length > size - 8 || first != '{') {
    fs::remove(path);
    throw Error(ErrorCode::model_error, origin +
                                            " is not a .safetensors file (the download was "
                                            "deleted): check the URL");
  }
}

// A LoRA pull installs what the engine merges: a safetensors file with kohya's LoRA modules
// (<lora_unet_... | lora_te...>.lora_down.weight); the engine checks the rest when it reads it.
void check_lora(const std::string& path, const std::string& origin) {
  check_safetensors(path, origin);
  std::ifstream in(path, std::ios::binary);
  const auto length = header_length(in);
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  const auto tensors = nlohmann::json::parse(header, nullptr, false);
  if (tensors.is_object()) {
    for (const auto& [name, tensor] : tensors.items()) {
      if (name.starts_with("lora_") && name.ends_with(".lora_down.weight")) return;
    }
  }
  fs::remove(path);
  throw Error(ErrorCode::model_error,
              origin +
                  " is not a LoRA in the kohya / AUTOMATIC1111 format (no "
                  "lora_unet_* or lora_te*_* .lora_down.weight tensors; the download was "
                  "deleted)");
}

Error url_answer_error(const net::HttpResponse& response, const std::string& url) {
  const auto status = std::to_string(response.status);
  if (response.status == 404 || response.status == 410) {
    return Error(ErrorCode::not_found, "nothing at " + url + " (" + status + "): check the URL");
  }
  if (response.status == 401 || response.status == 403) {
    return Error(ErrorCode::forbidden, url + " refused access (" + status +
                                           "): download it with a browser that is signed in, then "
                                           "rendermart models add FILE");
  }
  return Error(ErrorCode::provider_error, url + " answered " + status + ": try again later");
}

Error url_unreachable(const net::TransportError& error, const std::string& url) {
  if (error.canceled()) return Error(ErrorCode::canceled, "pull canceled");
  return Error(ErrorCode::unavailable,
               "cannot reach " + net::origin_of(url) + ": " + error.what() + "; check the network");
}

// Copies, turning a full disk into the error a user can act on.
void copy_into(const fs::path& from, const fs::path& to) {
  try {
    fs::copy(from, to, fs::copy_options::recursive);
  } catch (const fs::filesystem_error& e) {
    throw_write_error(to.string(), e.code().value());
  }
}

}  // namespace

std::string install_name(const std::string& source, const std::string& name) {
  const auto parsed = parse_source(source);
  if (name.empty()) return default_name(parsed);
  check_model_name(name);
  return name;
}

std::string pull_name(const PullOptions& options) {
  if (!options.lora || !options.name.empty() || options.file.empty()) {
    return install_name(options.source, options.name);
  }
  parse_source(options.source);
  auto name = fs::path(options.file).filename().string();
  if (name.ends_with(kSafetensors)) name.resize(name.size() - kSafetensors.size());
  check_model_name(name);
  return name;
}

ModelInstaller::ModelInstaller(ModelsFolder folder, HubSettings hub, ModelChecker checker)
    : folder_(std::move(folder)), hub_(std::move(hub)), checker_(std::move(checker)) {}

InstallResult ModelInstaller::pull(const PullOptions& options, const InstallEvents& events,
                                   const std::atomic<bool>& cancel) const {
  const auto source = parse_source(options.source);
  const auto name = pull_name(options);
  if (options.lora) {
    if (source.kind == ModelSource::Kind::url) {
      throw invalid_argument("source",
                             "a LoRA is pulled from a Hugging Face repository "
                             "(OWNER/NAME): download a LoRA at a URL into " +
                                 folder_.loras() + " instead");
    }
    return pull_lora(options, name, events, cancel);
  }
  if (source.kind == ModelSource::Kind::url) return pull_url(source.url, name, events, cancel);
  return pull_repo(options, name, events, cancel);
}

InstallResult ModelInstaller::pull_lora(const PullOptions& options, const std::string& name,
                                        const InstallEvents& events,
                                        const std::atomic<bool>& cancel) const {
  const auto repo = parse_source(options.source).repo;
  const auto target = folder_.lora(name);
  const auto key = ModelsFolder::lora_partial(name);
  const auto taken = [&] {
    return Error(ErrorCode::conflict, "a LoRA named " + name + " is already in " + folder_.loras() +
                                          ": remove it first or pull under another name");
  };
  if (fs::exists(target)) throw taken();
  fs::create_directories(fs::path(folder_.lock(key)).parent_path());
  const auto lock = InstallLock::acquire(folder_.lock(key), cancel, [&] {
    notify(events, "waiting: another process is installing the LoRA " + name);
  });
  if (fs::exists(target)) throw taken();
  try {
    const HubClient hub(hub_);
    const auto listing = hub.listing(repo);
    const auto file = select_lora_file(listing, options.file, repo.id);
    const auto recorded = "hf:" + repo.id + "@" + listing.commit + "/" + file.path;
    const auto dir = prepare_partial(folder_, key, recorded, events);
    FileDownload job;
    job.request = hub.file_request(repo.id, listing.commit, file.path);
    job.request.cancel = &cancel;
    job.path = dir + "/" + name + std::string(kSafetensors);
    job.name = file.path;
    job.size = file.size;
    job.sha256 = file.lfs_sha256;
    const DownloadErrors errors{
        [&](const net::HttpResponse& response) {
          return hub.answer_error(response, repo.id, "a file");
        },
        [&](const net::TransportError& error) { return hub.unreachable(error); }};
    PullProgress progress;
    progress.files_total = 1;
    progress.bytes_total = file.size;
    progress.current_file = file.path;
    if (events.progress) events.progress(progress);
    InstallResult result{name, ModelFormat::single_file, target, recorded, listing.license, 0,
                         false};
    result.bytes_downloaded = download_file(job, errors, [&](std::int64_t bytes, std::int64_t) {
      progress.bytes_done = bytes;
      if (events.progress) events.progress(progress);
    });
    progress.files_done = 1;
    progress.bytes_done = bytes_on_disk(job.path);
    progress.current_file.clear();
    if (events.progress) events.progress(progress);
    check_lora(job.path, repo.id + "/" + file.path);
    fs::create_directories(folder_.loras());
    move_into_place(folder_, key, job.path, target);
    return result;
  } catch (const Error& e) {
    discard_if_refused(folder_, key, e);
    throw;
  }
}

InstallResult ModelInstaller::pull_repo(const PullOptions& options, const std::string& name,
                                        const InstallEvents& events,
                                        const std::atomic<bool>& cancel) const {
  const auto repo = parse_source(options.source).repo;
  const auto same_repo = [&](const std::string& installed) {
    return installed.starts_with("hf:" + repo.id + "@");
  };
  auto lock = reserve(folder_, name, same_repo, events, cancel);
  if (!lock) {
    notify(events, name + " was installed meanwhile by another pull of " + repo.id);
    const auto provenance = read_provenance(folder_.settings(name, ModelFormat::diffusers));
    return {name,
            ModelFormat::diffusers,
            folder_.folder(name),
            provenance.source,
            provenance.license,
            0,
            true};
  }
  try {
    return pull_locked(options, name, events, cancel);
  } catch (const Error& e) {
    discard_if_refused(folder_, name, e);
    throw;
  }
}

InstallResult ModelInstaller::pull_locked(const PullOptions& options, const std::string& name,
                                          const InstallEvents& events,
                                          const std::atomic<bool>& cancel) const {
  const auto repo = parse_source(options.source).repo;
  const HubClient hub(hub_);
  const auto listing = hub.listing(repo);
  const auto recorded = "hf:" + repo.id + "@" + listing.commit;
  const auto dir = prepare_partial(folder_, name, recorded, events);

  const DownloadErrors errors{
      [&](const net::HttpResponse& response) {
        return hub.answer_error(response, repo.id, "a file");
      },
      [&](const net::TransportError& error) { return hub.unreachable(error); }};
  const auto download = [&](const RepoFile& file, const FileProgressFn& progress) {
    FileDownload job;
    job.request = hub.file_request(repo.id, listing.commit, file.path);
    job.request.cancel = &cancel;
    job.path = dir + "/" + file.path;
    job.name = file.path;
    job.size = file.size;
    job.sha256 = file.lfs_sha256;
    return download_file(job, errors, progress);
  };

  // model_index.json (or a TAESD decoder's config.json) says which files are needed: nothing else
  // is fetched before it.
  const auto* index = find_file(listing, "model_index.json");
  const auto* first = index ? index : find_file(listing, "config.json");
  if (!first) {
    throw Error(ErrorCode::model_error, repo.id +
                                            " cannot be pulled: it has no model_index.json, so "
                                            "it is not a diffusers pipeline (for one .safetensors "
                                            "checkpoint, pull its https URL)");
  }
  // Some model cards state no license in their metadata; the ones RenderMart recommends are known.
  auto license = listing.license;
  if (const auto* known = recommended_model(repo.id); known && license.empty())
    license = known->license;
  InstallResult result{name, ModelFormat::diffusers, folder_.folder(name), recorded, license, 0,
                       false};
  PullProgress progress;
  progress.current_file = first->path;
  result.bytes_downloaded += download(*first, {});
  const auto first_text = read_text(dir + "/" + first->path);
  const auto files = index ? select_files(listing, first_text, options.variant, repo.id)
                           : select_decoder_files(listing, first_text, options.variant, repo.id);

  progress.files_total = static_cast<int>(files.size());
  progress.bytes_total =
      std::accumulate(files.begin(), files.end(), std::int64_t{0},
                      [](std::int64_t sum, const RepoFile& f) { return sum + f.size; });
  const auto on_disk = [&] {
    return std::accumulate(files.begin(), files.end(), std::int64_t{0},
                           [&](std::int64_t sum, const RepoFile& f) {
                             return sum + bytes_on_disk(dir + "/" + f.path);
                           });
  };
  for (const auto& file : files) {
    progress.current_file = file.path;
    const auto others = on_disk() - bytes_on_disk(dir + "/" + file.path);
    progress.bytes_done = on_disk();
    if (events.progress) events.progress(progress);
    result.bytes_downloaded += download(file, [&](std::int64_t bytes, std::int64_t) {
      progress.bytes_done = others + bytes;
      if (events.progress) events.progress(progress);
    });
    ++progress.files_done;
  }
  progress.bytes_done = on_disk();
  progress.current_file.clear();
  if (events.progress) events.progress(progress);

  write_provenance(dir + "/rendermart.json", {recorded, license});
  move_into_place(folder_, name, dir, result.path);
  return result;
}

InstallResult ModelInstaller::pull_url(const std::string& url, const std::string& name,
                                       const InstallEvents& events,
                                       const std::atomic<bool>& cancel) const {
  auto lock = reserve(
      folder_, name, [&](const std::string& installed) { return installed == url; }, events,
      cancel);
  if (!lock) {
    notify(events, name + " was installed meanwhile by another pull of " + url);
    return {name, ModelFormat::single_file, folder_.checkpoint(name), url, {}, 0, true};
  }
  try {
    return pull_url_locked(url, name, events, cancel);
  } catch (const Error& e) {
    discard_if_refused(folder_, name, e);
    throw;
  }
}

InstallResult ModelInstaller::pull_url_locked(const std::string& url, const std::string& name,
                                              const InstallEvents& events,
                                              const std::atomic<bool>& cancel) const {
  InstallResult result{name, ModelFormat::single_file, folder_.checkpoint(name), url, {}, 0, false};
  const auto dir = prepare_partial(folder_, name, url, events);
  FileDownload job;
  job.request = download_request(url);
  job.request.cancel = &cancel;
  job.path = dir + "/" + name + std::string(kSafetensors);
  job.name = url.substr(url.rfind('/') + 1);
  const DownloadErrors errors{
      [&](const net::HttpResponse& response) { return url_answer_error(response, url); },
      [&](const net::TransportError& error) { return url_unreachable(error, url); }};
  PullProgress progress;
  progress.files_total = 1;
  progress.current_file = job.name;
  result.bytes_downloaded = download_file(job, errors, [&](std::int64_t bytes, std::int64_t total) {
    progress.bytes_done = bytes;
    if (total > 0) progress.bytes_total = total;
    if (events.progress) events.progress(progress);
  });
  progress.files_done = 1;
  progress.bytes_done = bytes_on_disk(job.path);
  progress.bytes_total = progress.bytes_done;
  if (events.progress) events.progress(progress);
  check_safetensors(job.path, url);

  // The settings first: the model appears with its weights, and then has its provenance.
  write_provenance(folder_.checkpoint_settings(name), {url, {}});
  move_into_place(folder_, name, job.path, result.path);
  return result;
}

InstallResult ModelInstaller::add(const std::string& path, const std::string& name_in,
                                  const InstallEvents& events) const {
  std::error_code ec;
  const auto from = fs::absolute(path, ec).lexically_normal();
  const bool is_folder = fs::is_directory(from, ec);
  const bool is_checkpoint = fs::is_regular_file(from, ec) && from.string().ends_with(kSafetensors);
  if (!(is_folder && fs::exists(from / "model_index.json", ec)) && !is_checkpoint) {
    throw invalid_argument("path", path +
                                       " is neither a diffusers model folder (with a "
                                       "model_index.json) nor a .safetensors checkpoint");
  }
  const auto name =
      name_in.empty() ? (is_folder ? from.filename().string() : from.stem().string()) : name_in;
  check_model_name(name);
  if (checker_) {
    if (const auto check = checker_(from.string()); !check.problem.empty()) {
      throw Error(ErrorCode::model_error,
                  path + " is not a model the local engine can run: " + check.problem);
    }
  }
  const std::atomic<bool> never{false};
  auto lock = reserve(
      folder_, name, [](const std::string&) { return false; }, events, never);

  const auto format = is_folder ? ModelFormat::diffusers : ModelFormat::single_file;
  const auto dir = folder_.partial(name);
  fs::remove_all(dir);  // a copy does not resume: start over
  fs::create_directories(dir);
  const auto staged = is_folder ? dir + "/" + name : dir + "/" + name + std::string(kSafetensors);
  copy_into(from, staged);
  const auto settings_beside = from.parent_path() / (from.stem().string() + ".rendermart.json");
  const auto staged_settings = is_folder ? staged + "/rendermart.json" : dir + "/settings.json";
  if (!is_folder && fs::exists(settings_beside, ec)) copy_into(settings_beside, staged_settings);

  // A model added from a folder that was pulled once keeps the source it records.
  auto provenance = read_provenance(staged_settings);
  if (provenance.source.empty()) provenance.source = "file:" + from.string();
  write_provenance(staged_settings, provenance);
  if (!is_folder) fs::rename(staged_settings, folder_.checkpoint_settings(name));
  InstallResult result{
      name, format, folder_.path(name, format), provenance.source, provenance.license, 0, false};
  move_into_place(folder_, name, staged, result.path);
  return result;
}

}  // namespace rendermart::library
