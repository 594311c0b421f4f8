#pragma once

// Notices changes of the models folder made by anyone (`rendermart models pull` in another
// process, a copy by hand) by looking at it every few seconds: what is in it, and when each
// entry and its settings file last changed. Cheap: a directory listing and a few stats, no file
// is read. Polling rather than inotify works on every filesystem a models folder may live on
// (network and container volumes included).

#include <chrono>
#include <functional>
#include <string>

#include "core/periodic_task.hpp"

namespace rendermart::library {

// What the folder looks like now, as text that changes when a model appears, goes, or is
// replaced, or its settings change. Entries starting with '.' (downloads in progress) are left out.
std::string folder_signature(const std::string& dir);

class FolderWatch {
 public:
  // Calls `changed` on its own thread whenever folder_signature(dir) differs from the last look.
  // Destruction stops the thread.
  FolderWatch(std::string dir, std::chrono::milliseconds interval, std::function<void()> changed);

  // Two seconds: a model pulled by the command line appears in the server about that much later.
  static constexpr std::chrono::milliseconds kDefaultInterval{2000};

 private:
  void look();

  std::string dir_;
  std::function<void()> changed_;
  std::string last_;
  PeriodicTask task_;  // last: started when everything else is ready
};

}  // namespace rendermart::library
