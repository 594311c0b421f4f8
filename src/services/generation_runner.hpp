#pragma once

// Runs one claimed generation from start to outcome: its inputs loaded, the model's provider
// run, the PNG and thumbnails stored, and the outcome (succeeded, failed with or without retry,
// canceled, released for shutdown) recorded in the Store and announced to listeners. The
// WorkerPool decides which jobs run and keeps their leases; this decides what running one is.

#include <atomic>
#include <string>
#include <vector>

#include "blob/blob_store.hpp"
#include "core/job_events.hpp"
#include "core/metrics.hpp"
#include "providers/provider.hpp"
#include "services/blob_writers.hpp"
#include "services/model_catalog.hpp"
#include "store/store.hpp"

namespace rendermart {

// A job claimed by a worker, with the flags others set while it runs.
struct ClaimedJob {
  Job job;
  std::string worker_id;                   // holds the job's lease
  CancelFlag cancel{false};                // canceled by the user, lease lost, or shutdown
  std::atomic<bool> shutting_down{false};  // with cancel: back to the queue, not canceled
  std::atomic<double> progress{0};
};

class GenerationRunner {
 public:
  // `concurrent_jobs`: how many jobs may run at once (the worker threads), which sizes the
  // threads that write their files.
  GenerationRunner(Store& store, BlobStore& blobs, const ModelCatalog& catalog, JobEvents& events,
                   Metrics& metrics, QueuePolicy policy, int concurrent_jobs);

  // Runs the job's current attempt and records its outcome. Throws when the outcome cannot be
  // recorded (the database is unreachable): the lease then expires and the job is retried.
  void run(ClaimedJob& claimed, const ProgressFn& on_progress);

 private:
  // The job's source image and mask, decoded.
  GenerationInputs load_inputs(const Job& job);
  void store_and_complete(const ClaimedJob& claimed, const ModelInfo& model,
                          const std::vector<RawImage>& raw);
  void delete_attempt_files(const Job& job, int attempt);

  Store& store_;
  BlobStore& blobs_;
  BlobWriters writers_;
  const ModelCatalog& catalog_;
  JobEvents& events_;
  Metrics& metrics_;
  QueuePolicy policy_;
};

}  // namespace rendermart
