#include "core/job_events.hpp"

#include <vector>

namespace rendermart {
namespace {

// Job ids are never empty: this key holds the listeners of every job.
const std::string kEveryJob;

}  // namespace

void LocalJobEvents::deliver(const JobEvent& event) {
  std::vector<JobEvents::Listener> targets;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto* key : {&event.job_id, &kEveryJob}) {
      auto [begin, end] = state_->listeners.equal_range(*key);
      for (auto it = begin; it != end; ++it) targets.push_back(it->second.second);
    }
  }
  for (const auto& listener : targets) listener(event);
}

JobEvents::Subscription LocalJobEvents::subscribe(const std::string& job_id,
                                                  JobEvents::Listener listener) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(state_->mutex);
    id = state_->next_id++;
    state_->listeners.emplace(job_id, std::make_pair(id, std::move(listener)));
  }
  // The subscription holds the state weakly so that it may outlive this object harmlessly.
  std::weak_ptr<State> weak = state_;
  return JobEvents::Subscription(static_cast<void*>(nullptr), [weak, job_id, id](void*) {
    const auto state = weak.lock();
    if (!state) return;
    std::lock_guard lock(state->mutex);
    auto [begin, end] = state->listeners.equal_range(job_id);
    for (auto it = begin; it != end; ++it) {
      if (it->second.first == id) {
        state->listeners.erase(it);
        return;
      }
    }
  });
}

JobEvents::Subscription LocalJobEvents::subscribe_all(JobEvents::Listener listener) {
  return subscribe(kEveryJob, std::move(listener));
}

void LocalJobEvents::wake_waiters() {
  {
    std::lock_guard lock(queue_mutex_);
    ++queued_signals_;
  }
  queue_cv_.notify_all();
}

std::uint64_t LocalJobEvents::wake_count() {
  std::lock_guard lock(queue_mutex_);
  return queued_signals_;
}

void LocalJobEvents::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  queue_cv_.wait_for(lock, timeout, [&] { return queued_signals_ != seen; });
}

}  // namespace rendermart
