#pragma once

// Job notifications: progress and status changes for SSE streams, and "a job was queued" for
// idle workers. In one process they travel in memory (InProcessJobEvents); across processes the
// PostgreSQL backend carries them with LISTEN/NOTIFY behind the same interface
// (open_job_events in store/store.hpp picks the one that fits the database).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/domain.hpp"
#include "core/job_stage.hpp"

namespace rendermart {

struct JobEvent {
  enum class Type { progress, status };
  Type type = Type::status;
  std::string job_id;
  // The job's owner: what the stream of all of a user's jobs follows.
  std::string user_id;
  double progress = 0;
  JobStatus status = JobStatus::queued;
  // Progress events only, when the provider made one: a small picture of the image as it forms,
  // as a data URL (data:image/webp;base64,...), at most kMaxPreviewBytes long.
  std::string preview;
  JobStage stage = JobStage::generating;  // progress events only
};

// Previews stay this small so that an event fits a PostgreSQL NOTIFY payload (under 8000 bytes).
inline constexpr std::size_t kMaxPreviewBytes = 6000;

class JobEvents {
 public:
  // Unsubscribes when the last copy is destroyed.
  using Subscription = std::shared_ptr<void>;
  using Listener = std::function<void(const JobEvent&)>;

  virtual ~JobEvents() = default;

  // Thread-safe. Listeners run on the publishing thread (in memory) or on the notification
  // thread (PostgreSQL): they must be quick and must not subscribe or unsubscribe.
  virtual void publish(const JobEvent& event) = 0;
  virtual Subscription subscribe(const std::string& job_id, Listener listener) = 0;
  // Every job's events, of every user: the one listener behind the streams of users' jobs.
  virtual Subscription subscribe_all(Listener listener) = 0;

  // Wakes the workers waiting in wait_for_job.
  virtual void notify_job_queued() = 0;
  // How many "job queued" notifications this process has heard. A worker reads it before it
  // looks at the queue and hands it to wait_for_job, so that a job queued after the worker
  // found the queue empty, but before it began to wait, wakes it at once.
  virtual std::uint64_t jobs_queued_heard() = 0;
  // Returns once more than `heard` notifications were heard, or after the timeout (workers also
  // poll, so a lost notification only delays a job, never strands it).
  virtual void wait_for_job(std::uint64_t heard, std::chrono::milliseconds timeout) = 0;
};

// The part of every JobEvents that lives in one process: the listeners of each job, and the
// signal that wakes waiting workers. Thread-safe.
class LocalJobEvents {
 public:
  JobEvents::Subscription subscribe(const std::string& job_id, JobEvents::Listener listener);
  JobEvents::Subscription subscribe_all(JobEvents::Listener listener);
  // Runs the job's listeners and those of every job on the calling thread (outside the lock, so a
  // listener may unsubscribe).
  void deliver(const JobEvent& event);
  void wake_waiters();
  std::uint64_t wake_count();
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout);

 private:
  struct State {
    std::mutex mutex;
    // Keyed by job id (never empty); the listeners of every job under the empty key.
    std::multimap<std::string, std::pair<std::uint64_t, JobEvents::Listener>> listeners;
    std::uint64_t next_id = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::uint64_t queued_signals_ = 0;
};

class InProcessJobEvents : public JobEvents {
 public:
  void publish(const JobEvent& event) override { local_.deliver(event); }
  Subscription subscribe(const std::string& job_id, Listener listener) override {
    return local_.subscribe(job_id, std::move(listener));
  }
  Subscription subscribe_all(Listener listener) override {
    return local_.subscribe_all(std::move(listener));
  }
  void notify_job_queued() override { local_.wake_waiters(); }
  std::uint64_t jobs_queued_heard() override { return local_.wake_count(); }
  void wait_for_job(std::uint64_t heard, std::chrono::milliseconds timeout) override {
    local_.wait(heard, timeout);
  }

 private:
  LocalJobEvents local_;
};

}  // namespace rendermart
