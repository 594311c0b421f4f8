#include "library/folder_watch.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

namespace rendermart::library {
namespace {

// "size:mtime-ns" of a path, or "-" when it does not exist.
std::string stamp(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "-";
  return std::to_string(info.st_size) + ":" + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec) + ":" + std::to_string(info.st_ino);
}

}  // namespace

std::string folder_signature(const std::string& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(".")) continue;
    const auto path = entry.path().string();
    // A folder's own stamp changes when entries are added to it or removed, not when a file
    // inside is rewritten: its settings are stamped apart.
    lines.push_back(name + " " + stamp(path) + " " + stamp(path + "/rendermart.json"));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

FolderWatch::FolderWatch(std::string dir, std::chrono::milliseconds interval,
                         std::function<void()> changed)
    : dir_(std::move(dir)),
      changed_(std::move(changed)),
      last_(folder_signature(dir_)),
      task_(interval, [this] { look(); }) {}

void FolderWatch::look() {
  auto now = folder_signature(dir_);
  if (now == last_) return;
  last_ = std::move(now);
  try {
    changed_();
  } catch (const std::exception& e) {
    spdlog::error("models folder {} changed, but reading it again failed: {}", dir_, e.what());
  }
}

}  // namespace rendermart::library
