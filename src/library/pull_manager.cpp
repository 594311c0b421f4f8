#include "library/pull_manager.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/ids.hpp"
#include "library/model_source.hpp"

namespace rendermart::library {
namespace {

// Pull ids are opaque; this many random bytes make them unguessable and unique.
constexpr std::size_t kIdBytes = 12;

}  // namespace

const char* to_string(PullStatus status) {
  switch (status) {
    case PullStatus::queued: return "queued";
    case PullStatus::running: return "running";
    case PullStatus::succeeded: return "succeeded";
    case PullStatus::failed: return "failed";
    case PullStatus::canceled: return "canceled";
  }
  return "failed";
}

PullManager::PullManager(ModelInstaller installer, std::function<void()> changed)
    : installer_(std::move(installer)),
      changed_(std::move(changed)),
      thread_([this] { run(); }),
      flusher_([this] { flush_progress(); }) {}

PullManager::~PullManager() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& entry : entries_) entry->cancel = true;
  }
  wake_.notify_all();
  thread_.join();
  flusher_.join();
}

PullManager::Started PullManager::start(const PullOptions& options) {
  const auto name = pull_name(options);
  const auto source = describe_source(parse_source(options.source));
  const auto kind = options.lora ? "LoRA" : "model";
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    for (const auto& other : entries_) {
      if (other->pull.final() || other->pull.name != name || other->pull.lora != options.lora)
        continue;
      if (describe_source(parse_source(other->pull.source)) == source &&
          other->options.file == options.file)
        return {other->pull, true};
      throw Error(ErrorCode::conflict, "a pull of " + other->pull.source + " is installing the " +
                                           kind + " " + name +
                                           ": cancel it first, or install under another name");
    }
    const auto& folder = installer_.folder();
    if (options.lora ? std::filesystem::exists(folder.lora(name))
                     : folder.installed(name).has_value()) {
      throw Error(ErrorCode::conflict, std::string("a ") + kind + " named " + name +
                                           " is already installed: remove it "
                                           "first, or install under another name");
    }
    entry = std::make_shared<Entry>();
    entry->options = options;
    entry->options.name = name;
    entry->pull.id = random_hex(kIdBytes);
    entry->pull.source = options.source;
    entry->pull.name = name;
    entry->pull.lora = options.lora;
    entry->pull.created_at = now_millis();
    entries_.push_back(entry);
    queue_.push_back(entry);
  }
  wake_.notify_all();
  spdlog::info("model pull {} queued: {} as {}", entry->pull.id, options.source, name);
  std::lock_guard lock(mutex_);
  return {entry->pull, false};
}

std::shared_ptr<PullManager::Entry> PullManager::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry->pull.id == id) return entry;
  }
  throw not_found("model pull " + id);
}

Pull PullManager::get(const std::string& id) const {
  const auto entry = find(id);
  std::lock_guard lock(mutex_);
  return entry->pull;
}

Pull PullManager::cancel(const std::string& id) {
  const auto entry = find(id);
  entry->cancel = true;
  bool was_queued = false;
  {
    std::lock_guard lock(mutex_);
    was_queued = entry->pull.status == PullStatus::queued;
    std::erase(queue_, entry);
  }
  if (was_queued) {
    update(entry, [](Pull& pull) {
      pull.status = PullStatus::canceled;
      pull.error = Error(ErrorCode::canceled, "pull canceled");
      pull.finished_at = now_millis();
    });
  }
  return get(id);
}

std::vector<Pull> PullManager::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Pull> out;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) out.push_back((*it)->pull);
  return out;
}

std::shared_ptr<void> PullManager::listen(const std::string& id, Listener listener) {
  std::uint64_t key = 0;
  {
    std::lock_guard lock(listeners_mutex_);
    key = next_listener_++;
    listeners_[key] = {id, std::move(listener)};
  }
  return std::shared_ptr<void>(nullptr, [this, key](void*) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.erase(key);
  });
}

void PullManager::notify(const Pull& pull) {
  for (const auto& [key, slot] : listeners_) {
    if (slot.id == pull.id) slot.listener(pull);
  }
}

void PullManager::update(const std::shared_ptr<Entry>& entry,
                         const std::function<void(Pull&)>& change) {
  std::lock_guard order(listeners_mutex_);
  Pull copy;
  {
    std::lock_guard lock(mutex_);
    change(entry->pull);
    entry->progress_unsent = false;
    entry->last_notified = std::chrono::steady_clock::now();
    copy = entry->pull;
  }
  notify(copy);
}

void PullManager::report_progress(const std::shared_ptr<Entry>& entry,
                                  const PullProgress& progress) {
  std::lock_guard order(listeners_mutex_);
  Pull copy;
  {
    std::lock_guard lock(mutex_);
    const bool file_done = progress.files_done != entry->pull.progress.files_done;
    entry->pull.progress = progress;
    const auto now = std::chrono::steady_clock::now();
    if (!file_done && now - entry->last_notified < kProgressInterval) {
      entry->progress_unsent = true;
      return;
    }
    entry->progress_unsent = false;
    entry->last_notified = now;
    copy = entry->pull;
  }
  notify(copy);
}

void PullManager::flush_progress() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, kProgressInterval, [&] { return stopping_; })) return;
    }
    std::lock_guard order(listeners_mutex_);
    std::vector<Pull> due;
    {
      std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      for (const auto& entry : entries_) {
        if (!entry->progress_unsent || now - entry->last_notified < kProgressInterval) continue;
        entry->progress_unsent = false;
        entry->last_notified = now;
        due.push_back(entry->pull);
      }
    }
    for (const auto& pull : due) notify(pull);
  }
}

std::vector<InstalledModel> PullManager::installed() const {
  return list_installed(installer_.folder(), installer_.checker());
}

void PullManager::remove(const std::string& name) {
  remove_installed(installer_.folder(), name);
  spdlog::info("model {} removed from {}", name, installer_.folder().dir());
  changed_();
}

void PullManager::run() {
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      entry = queue_.front();
      queue_.pop_front();
    }
    execute(entry);
  }
}

void PullManager::execute(const std::shared_ptr<Entry>& entry) {
  update(entry, [](Pull& pull) { pull.status = PullStatus::running; });
  InstallEvents events;
  events.progress = [&](const PullProgress& progress) { report_progress(entry, progress); };
  events.notice = [&](const std::string& line) {
    spdlog::info("model pull {}: {}", entry->pull.id, line);
  };
  try {
    const auto result = installer_.pull(entry->options, events, entry->cancel);
    spdlog::info("model pull {}: {} installed in {} ({} bytes downloaded)", entry->pull.id,
                 result.name, result.path, result.bytes_downloaded);
    // The model is offered before the pull says it succeeded.
    changed_();
    update(entry, [&](Pull& pull) {
      pull.status = PullStatus::succeeded;
      pull.progress.bytes_done = pull.progress.bytes_total.value_or(pull.progress.bytes_done);
      pull.progress.files_done = pull.progress.files_total.value_or(pull.progress.files_done);
      pull.progress.current_file.clear();
      pull.finished_at = now_millis();
    });
  } catch (const Error& e) {
    const bool canceled = e.code() == ErrorCode::canceled;
    if (canceled) {
      spdlog::info("model pull {} canceled; its download stays to resume", entry->pull.id);
    } else {
      spdlog::warn("model pull {} failed: {}", entry->pull.id, e.what());
    }
    update(entry, [&](Pull& pull) {
      pull.status = canceled ? PullStatus::canceled : PullStatus::failed;
      pull.error = e;
      pull.finished_at = now_millis();
    });
  } catch (const std::exception& e) {
    spdlog::error("model pull {} failed: {}", entry->pull.id, e.what());
    update(entry, [&](Pull& pull) {
      pull.status = PullStatus::failed;
      pull.error = Error(ErrorCode::internal, e.what());
      pull.finished_at = now_millis();
    });
  }
}

}  // namespace rendermart::library
