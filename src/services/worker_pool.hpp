#pragma once

// Workers: threads that claim jobs from the Store and hand each to the GenerationRunner. A
// heartbeat thread renews the lease of every job in flight, so a job whose process dies is
// claimed again by another worker once its lease expires; progress travels to listeners (with
// previews) and, every half second, to the database.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blob/blob_store.hpp"
#include "core/job_events.hpp"
#include "core/metrics.hpp"
#include "services/generation_runner.hpp"
#include "services/model_catalog.hpp"
#include "store/store.hpp"

namespace rendermart {

struct WorkerOptions {
  int threads = 2;
  QueuePolicy policy;
  // Idle workers look at the queue at least this often, in case a notification was missed
  // (another process queued the job).
  std::chrono::milliseconds poll_interval{1000};
  // On stop, jobs in flight get this long to finish before they are released to the queue.
  std::chrono::milliseconds shutdown_grace{10'000};
};

class WorkerPool {
 public:
  WorkerPool(Store& store, BlobStore& blobs, const ModelCatalog& catalog, JobEvents& events,
             Metrics& metrics, WorkerOptions options);
  ~WorkerPool();

  void start();
  // Stops claiming; waits up to shutdown_grace for jobs in flight, then releases the rest.
  void stop();

 private:
  struct RunningJob {
    ClaimedJob claimed;
    std::chrono::steady_clock::time_point last_renewal;
    std::optional<std::chrono::steady_clock::time_point> last_preview;
    std::mutex renewal_mutex;
  };

  void work(int index);
  void heartbeat();
  // Runs one claimed job; never throws.
  void run(RunningJob& running);
  void renew(RunningJob& running);
  void report_progress(RunningJob& running, const ProgressUpdate& update);

  Store& store_;
  JobEvents& events_;
  Metrics& metrics_;
  WorkerOptions options_;
  GenerationRunner runner_;
  std::string process_id_;

  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  std::thread heartbeat_thread_;
  std::mutex running_mutex_;
  std::condition_variable running_cv_;
  std::map<std::string, std::shared_ptr<RunningJob>> running_;  // by job id
};

}  // namespace rendermart
