#pragma once

// Workers: threads that claim jobs from the Store, run them on their model's Provider, store
// the images and record the outcome. A heartbeat thread renews the lease of every job in flight,
// so a job whose process dies is claimed again by another worker once its lease expires.

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
#include "core/metrics.hpp"
#include "core/job_events.hpp"
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

// Where a job's files go: attempt-specific keys, so that a retry never overwrites files that an
// earlier attempt may still be writing, and can delete that attempt's leftovers by name.
std::string image_blob_key(const Job& job, int attempt, int index);

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
    Job job;
    std::string worker_id;
    CancelFlag cancel{false};
    std::atomic<bool> shutting_down{false};
    std::atomic<double> progress{0};
    std::chrono::steady_clock::time_point last_renewal;
    std::optional<std::chrono::steady_clock::time_point> last_preview;
    std::mutex renewal_mutex;
  };

  void work(int index);
  void heartbeat();
  // Runs one claimed job; never throws.
  void run(const std::shared_ptr<RunningJob>& running);
  // Runs it and records the outcome; throws when the outcome cannot be recorded.
  void attempt(const std::shared_ptr<RunningJob>& running);
  // The job's source image and mask, decoded (composed over white: models take opaque images).
  GenerationInputs load_inputs(const Job& job);
  void store_and_complete(const std::shared_ptr<RunningJob>& running, const ModelInfo& model,
                          const std::vector<RawImage>& raw);
  void delete_attempt_files(const Job& job, int attempt);
  void renew(RunningJob& running);
  void report_progress(RunningJob& running, const ProgressUpdate& update);

  Store& store_;
  BlobStore& blobs_;
  const ModelCatalog& catalog_;
  JobEvents& events_;
  Metrics& metrics_;
  WorkerOptions options_;
  std::string process_id_;

  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  std::thread heartbeat_thread_;
  std::mutex running_mutex_;
  std::condition_variable running_cv_;
  std::map<std::string, std::shared_ptr<RunningJob>> running_;  // by job id
};

}  // namespace rendermart
