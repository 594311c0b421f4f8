#pragma once

// The pulls of a running server: started by the admin API, run one after another on one
// background thread of the process (never on an HTTP thread), followed by listeners (the API's
// event streams), canceled on request. Pulls live in memory: a restarted server forgets them,
// and a pull it had not finished resumes from its .partial folder when started again.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/domain.hpp"
#include "core/error.hpp"
#include "library/model_installer.hpp"

namespace rendermart::library {

enum class PullStatus { queued, running, succeeded, failed, canceled };
const char* to_string(PullStatus status);

struct Pull {
  std::string id;
  std::string source;  // as requested
  std::string name;    // where it installs
  bool lora = false;   // a LoRA, into the models folder's loras/
  PullStatus status = PullStatus::queued;
  PullProgress progress;
  std::optional<Error> error;  // failed (and canceled: why)
  Millis created_at = 0;
  std::optional<Millis> finished_at;

  bool final() const { return status != PullStatus::queued && status != PullStatus::running; }
};

class PullManager {
 public:
  // `changed` runs on the pull thread (or the caller of remove) after the models folder changed:
  // a model installed or removed. It should make the server offer the new set of models before
  // it returns: a pull is reported succeeded only after it.
  PullManager(ModelInstaller installer, std::function<void()> changed);
  // Cancels the running pull (its download stays to resume) and joins the thread.
  ~PullManager();
  PullManager(const PullManager&) = delete;
  PullManager& operator=(const PullManager&) = delete;

  struct Started {
    Pull pull;
    bool existing = false;  // the same source was already being pulled: that pull
  };
  // Queues a pull. Throws Error: invalid_argument (source, name), conflict (a model of that
  // name is installed, or being pulled from another source).
  Started start(const PullOptions& options);
  // Throw Error(not_found) for an unknown id.
  Pull get(const std::string& id) const;
  // A queued pull is canceled at once; a running one stops within a second (get() shows when).
  Pull cancel(const std::string& id);
  // Newest first.
  std::vector<Pull> list() const;

  // Calls `listener` with the pull whenever it changes, in the order of the changes: on every
  // status and every finished file, and while bytes arrive at most kProgressInterval apart (the
  // latest progress follows within an interval, also when the download then stalls). The
  // listener must be quick and must not call back into the manager. Listening ends when the
  // returned handle is destroyed.
  using Listener = std::function<void(const Pull&)>;
  std::shared_ptr<void> listen(const std::string& id, Listener listener);

  // What the models folder holds, checked by the installer's checker.
  std::vector<InstalledModel> installed() const;
  const ModelsFolder& folder() const { return installer_.folder(); }
  // Removes an installed model (remove_installed), then runs `changed`.
  void remove(const std::string& name);

  static constexpr std::chrono::milliseconds kProgressInterval{250};

 private:
  struct Entry {
    Pull pull;
    PullOptions options;
    std::atomic<bool> cancel{false};
    std::chrono::steady_clock::time_point last_notified{};  // guarded by mutex_
    bool progress_unsent = false;                           // guarded by mutex_
  };
  struct ListenerSlot {
    std::string id;
    Listener listener;
  };

  void run();
  void execute(const std::shared_ptr<Entry>& entry);
  // Applies `change` to the pull under the lock, then tells its listeners.
  void update(const std::shared_ptr<Entry>& entry, const std::function<void(Pull&)>& change);
  // Stores the progress; tells the listeners unless they were told less than an interval ago.
  void report_progress(const std::shared_ptr<Entry>& entry, const PullProgress& progress);
  // Sends, every interval, the progress that report_progress held back.
  void flush_progress();
  // Needs listeners_mutex_, which orders the notifications of the two threads.
  void notify(const Pull& pull);
  std::shared_ptr<Entry> find(const std::string& id) const;

  ModelInstaller installer_;
  std::function<void()> changed_;
  // Lock order: listeners_mutex_, then mutex_.
  mutable std::mutex mutex_;  // guards entries_, queue_, stopping_ and every Entry's pull
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Entry>> entries_;  // oldest first
  std::deque<std::shared_ptr<Entry>> queue_;
  bool stopping_ = false;
  std::mutex listeners_mutex_;
  std::map<std::uint64_t, ListenerSlot> listeners_;
  std::uint64_t next_listener_ = 0;
  // Last: started when everything else is ready.
  std::thread thread_;
  std::thread flusher_;
};

}  // namespace rendermart::library
