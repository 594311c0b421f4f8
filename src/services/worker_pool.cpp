#include "services/worker_pool.hpp"

#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "imaging/resize.hpp"
#include "imaging/webp.hpp"

namespace rendermart {
namespace {

// Progress reaches the database (GET /generations/{id}) at most this often per job; SSE
// listeners get every step.
constexpr auto kProgressWriteInterval = std::chrono::milliseconds(500);
// Previews travel with progress events at most this often per job (encoding one costs a WebP
// encode; slow steps get every preview, fast ones a few per second).
constexpr auto kPreviewInterval = std::chrono::milliseconds(250);
// A preview's longest side: small enough that it fits a job event (kMaxPreviewBytes).
constexpr int kPreviewSide = 96;

// A provider's preview as a small WebP data URL; empty when it cannot be made small enough.
std::string preview_data_url(const RawImage& preview) {
  try {
    const auto url = "data:image/webp;base64," +
                     to_base64(encode_webp(resize_to_fit(preview, kPreviewSide), 60));
    return url.size() <= kMaxPreviewBytes ? url : std::string();
  } catch (const Error& e) {
    spdlog::warn("cannot encode a progress preview: {}", e.what());
    return {};
  }
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "host";
  return buffer;
}

}  // namespace

WorkerPool::WorkerPool(Store& store, BlobStore& blobs, const ModelCatalog& catalog,
                       JobEvents& events, Metrics& metrics, WorkerOptions options)
    : store_(store),
      events_(events),
      metrics_(metrics),
      options_(options),
      runner_(store, blobs, catalog, events, metrics, options.policy, options.threads),
      process_id_(host_name() + ":" + std::to_string(getpid()) + ":" + random_hex(4)) {
  metrics_.describe("rendermart_queue_claim_seconds", "histogram",
                    "Time a worker's claim of the next job takes in the database (claims that "
                    "found a job)",
                    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5});
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { work(i); });
  heartbeat_thread_ = std::thread([this] { heartbeat(); });
}

void WorkerPool::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  events_.notify_job_queued();  // wakes idle workers so they see stopping_
  {
    std::unique_lock lock(running_mutex_);
    if (!running_cv_.wait_for(lock, options_.shutdown_grace, [&] { return running_.empty(); })) {
      for (auto& [id, running] : running_) {
        spdlog::info("releasing job {} to the queue for shutdown", id);
        running->claimed.shutting_down = true;
        running->claimed.cancel = true;
      }
    }
  }
  running_cv_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

void WorkerPool::work(int index) {
  const std::string worker_id = process_id_ + ":" + std::to_string(index);
  while (!stopping_) {
    std::optional<Job> job;
    // Before the claim: a job queued after the claim found none wakes the wait below at once.
    const auto heard = events_.jobs_queued_heard();
    try {
      const auto started = std::chrono::steady_clock::now();
      job = store_.claim_job(worker_id, now_millis(), options_.policy);
      if (job) {
        metrics_.observe(
            "rendermart_queue_claim_seconds", {},
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    } catch (const std::exception& e) {
      spdlog::error("worker {} cannot claim jobs: {}", worker_id, e.what());
    }
    if (!job) {
      events_.wait_for_job(heard, options_.poll_interval);
      continue;
    }
    auto running = std::make_shared<RunningJob>();
    running->claimed.job = std::move(*job);
    running->claimed.worker_id = worker_id;
    running->last_renewal = std::chrono::steady_clock::now();
    const auto job_id = running->claimed.job.id;
    {
      std::lock_guard lock(running_mutex_);
      running_[job_id] = running;
    }
    run(*running);
    {
      std::lock_guard lock(running_mutex_);
      running_.erase(job_id);
    }
    running_cv_.notify_all();
  }
}

void WorkerPool::heartbeat() {
  const auto interval = std::chrono::milliseconds(options_.policy.lease_ms / 3);
  std::unique_lock lock(running_mutex_);
  while (!stopping_ || !running_.empty()) {
    running_cv_.wait_for(lock, interval);
    std::vector<std::shared_ptr<RunningJob>> jobs;
    for (auto& [id, running] : running_) jobs.push_back(running);
    lock.unlock();
    for (auto& running : jobs) {
      if (std::chrono::steady_clock::now() - running->last_renewal >= interval) renew(*running);
    }
    lock.lock();
  }
}

void WorkerPool::renew(RunningJob& running) {
  std::lock_guard lock(running.renewal_mutex);
  running.last_renewal = std::chrono::steady_clock::now();
  try {
    if (!store_.renew_lease(running.claimed.job.id, running.claimed.worker_id,
                            running.claimed.progress, now_millis(), options_.policy)) {
      running.claimed.cancel = true;  // canceled by the user, or the lease went to another worker
    }
  } catch (const std::exception& e) {
    // The database is unreachable: keep working; if the lease expires meanwhile, completion
    // will notice and discard this attempt.
    spdlog::warn("cannot renew the lease of job {}: {}", running.claimed.job.id, e.what());
  }
}

void WorkerPool::report_progress(RunningJob& running, const ProgressUpdate& update) {
  running.claimed.progress = update.fraction;
  JobEvent event{JobEvent::Type::progress, running.claimed.job.id, running.claimed.job.user_id,
                 update.fraction, JobStatus::running};
  event.stage = update.stage;
  const auto now = std::chrono::steady_clock::now();
  if (update.preview &&
      (!running.last_preview || now - *running.last_preview >= kPreviewInterval)) {
    event.preview = preview_data_url(*update.preview);
    running.last_preview = now;
  }
  events_.publish(event);
  if (std::chrono::steady_clock::now() - running.last_renewal >= kProgressWriteInterval) {
    renew(running);
  }
}

void WorkerPool::run(RunningJob& running) {
  try {
    runner_.run(running.claimed, [&](const ProgressUpdate& p) { report_progress(running, p); });
  } catch (const std::exception& e) {
    // The outcome could not be recorded (the database is unreachable): the lease will expire and
    // another claim retries the job. Nothing escapes a worker thread.
    spdlog::error(
        "job {}: cannot record the outcome of attempt {}: {}; it will be retried once "
        "its lease expires",
        running.claimed.job.id, running.claimed.job.attempts, e.what());
  }
}

}  // namespace rendermart
