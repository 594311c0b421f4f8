#include "services/worker_pool.hpp"

#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "imaging/infotext.hpp"
#include "imaging/png.hpp"
#include "imaging/resize.hpp"
#include "imaging/webp.hpp"
#include "services/image_service.hpp"

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

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::provider_error || code == ErrorCode::storage_error ||
         code == ErrorCode::unavailable || code == ErrorCode::rate_limited ||
         code == ErrorCode::internal;
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "host";
  return buffer;
}

}  // namespace

std::string image_blob_key(const Job& job, int attempt, int index) {
  return "images/" + job.user_id + "/" + job.id + "/" + std::to_string(attempt) + "-" +
         std::to_string(index) + ".png";
}

WorkerPool::WorkerPool(Store& store, BlobStore& blobs, const ModelCatalog& catalog,
                       JobEvents& events, Metrics& metrics, WorkerOptions options)
    : store_(store),
      blobs_(blobs),
      catalog_(catalog),
      events_(events),
      metrics_(metrics),
      options_(options),
      process_id_(host_name() + ":" + std::to_string(getpid()) + ":" + random_hex(4)) {
  metrics_.describe("rendermart_job_duration_seconds", "histogram",
                    "Time from claim to completion of successful jobs, by model",
                    {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
  metrics_.describe("rendermart_images_generated_total", "counter", "Images stored");
  metrics_.describe("rendermart_job_failures_total", "counter",
                    "Job attempts that ended in an error, by error code");
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
        running->shutting_down = true;
        running->cancel = true;
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
    try {
      const auto started = std::chrono::steady_clock::now();
      job = store_.claim_job(worker_id, now_millis(), options_.policy);
      if (job) {
        metrics_.observe("rendermart_queue_claim_seconds", {},
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                             .count());
      }
    } catch (const std::exception& e) {
      spdlog::error("worker {} cannot claim jobs: {}", worker_id, e.what());
    }
    if (!job) {
      events_.wait_for_job(options_.poll_interval);
      continue;
    }
    auto running = std::make_shared<RunningJob>();
    running->job = std::move(*job);
    running->worker_id = worker_id;
    running->last_renewal = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(running_mutex_);
      running_[running->job.id] = running;
    }
    run(running);
    {
      std::lock_guard lock(running_mutex_);
      running_.erase(running->job.id);
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
    if (!store_.renew_lease(running.job.id, running.worker_id, running.progress, now_millis(),
                            options_.policy)) {
      running.cancel = true;  // canceled by the user, or the lease went to another worker
    }
  } catch (const std::exception& e) {
    // The database is unreachable: keep working; if the lease expires meanwhile, completion
    // will notice and discard this attempt.
    spdlog::warn("cannot renew the lease of job {}: {}", running.job.id, e.what());
  }
}

void WorkerPool::report_progress(RunningJob& running, const ProgressUpdate& update) {
  running.progress = update.fraction;
  JobEvent event{JobEvent::Type::progress, running.job.id, update.fraction, JobStatus::running};
  const auto now = std::chrono::steady_clock::now();
  if (update.preview && (!running.last_preview || now - *running.last_preview >= kPreviewInterval)) {
    event.preview = preview_data_url(*update.preview);
    running.last_preview = now;
  }
  events_.publish(event);
  if (std::chrono::steady_clock::now() - running.last_renewal >= kProgressWriteInterval) {
    renew(running);
  }
}

void WorkerPool::run(const std::shared_ptr<RunningJob>& running) {
  try {
    attempt(running);
  } catch (const std::exception& e) {
    // The outcome could not be recorded (the database is unreachable): the lease will expire and
    // another claim retries the job. Nothing escapes a worker thread.
    spdlog::error("job {}: cannot record the outcome of attempt {}: {}; it will be retried once "
                  "its lease expires", running->job.id, running->job.attempts, e.what());
  }
}

void WorkerPool::attempt(const std::shared_ptr<RunningJob>& running) {
  const Job& job = running->job;
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("job {} claimed by {} (attempt {}, model {})", job.id, running->worker_id,
               job.attempts, job.params.model);
  events_.publish(JobEvent{JobEvent::Type::status, job.id, 0, JobStatus::running});
  for (int attempt = 1; attempt < job.attempts; ++attempt) delete_attempt_files(job, attempt);

  try {
    // Models come and go with the models folder: one removed since the job was queued fails
    // it for good (model_error is not retried).
    const auto model = catalog_.find(job.params.model);
    if (!model) {
      throw Error(ErrorCode::model_error, "model " + job.params.model +
                                              " was removed after the generation was queued");
    }
    const auto raw = model->provider->generate(
        job.params, load_inputs(job), [&](const ProgressUpdate& p) { report_progress(*running, p); },
        running->cancel);
    if (running->cancel) throw Error(ErrorCode::canceled, "generation canceled");
    store_and_complete(running, model->info, raw);
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.observe("rendermart_job_duration_seconds", {{"model", job.params.model}}, seconds);
    metrics_.increment("rendermart_images_generated_total", {},
                       static_cast<double>(raw.size()));
    return;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::canceled) {
      delete_attempt_files(job, job.attempts);
      if (running->shutting_down) {
        store_.release_job(job.id, running->worker_id);
        events_.publish(JobEvent{JobEvent::Type::status, job.id, 0, JobStatus::queued});
      } else if (store_.cancel_job(job.id, running->worker_id, now_millis())) {
        events_.publish(JobEvent{JobEvent::Type::status, job.id, running->progress,
                                 JobStatus::canceled});
      }
      return;
    }
    metrics_.increment("rendermart_job_failures_total", {{"code", std::string(to_string(e.code()))}});
    spdlog::warn("job {} attempt {} failed: {}: {}", job.id, job.attempts, to_string(e.code()),
                 e.what());
    delete_attempt_files(job, job.attempts);
    store_.fail_job(job.id, running->worker_id, std::string(to_string(e.code())), e.what(),
                    is_retryable(e.code()), now_millis(), options_.policy);
  } catch (const std::exception& e) {
    metrics_.increment("rendermart_job_failures_total", {{"code", "internal"}});
    spdlog::error("job {} attempt {} failed unexpectedly: {}", job.id, job.attempts, e.what());
    delete_attempt_files(job, job.attempts);
    store_.fail_job(job.id, running->worker_id, "internal", e.what(), true, now_millis(),
                    options_.policy);
  }
  // The job either failed for good or went back to the queue; listeners learn which.
  if (auto after = store_.get_job(job.user_id, job.id)) {
    events_.publish(JobEvent{JobEvent::Type::status, job.id, after->progress, after->status});
  }
}

void WorkerPool::store_and_complete(const std::shared_ptr<RunningJob>& running,
                                    const ModelInfo& model, const std::vector<RawImage>& raw) {
  const Job& job = running->job;
  std::vector<Image> images;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    Image image;
    image.id = new_id();
    image.user_id = job.user_id;
    image.job_id = job.id;
    image.index = static_cast<int>(i);
    image.params = job.params;
    image.params.seed = job.params.seed + static_cast<std::uint32_t>(i);
    image.params.count = 1;
    // What the model made: some cloud models answer an aspect ratio with a size of their own.
    image.params.width = raw[i].width;
    image.params.height = raw[i].height;
    image.blob_key = image_blob_key(job, job.attempts, image.index);
    image.created_at = now_millis();

    const std::string png = encode_png(
        raw[i], {{"parameters", a1111_parameters(image.params, model.name)},
                 {"rendermart", params_json(image.params)}});
    image.bytes = static_cast<std::int64_t>(png.size());
    image.sha256 = sha256_hex(png);
    blobs_.put(image.blob_key, png, "image/png");
    // At every size that the image already fits, its thumbnail is the whole image unscaled:
    // the same bytes, so encode them once (at 256x256 that halves the WebP work).
    const int longest_side = std::max(raw[i].width, raw[i].height);
    std::string unscaled_thumbnail;
    for (int size : kThumbnailSizes) {
      const auto key = thumbnail_key(image.blob_key, size);
      if (longest_side > size) {
        const auto thumbnail = make_thumbnail(raw[i], size);
        image.thumbnail_bytes += static_cast<std::int64_t>(thumbnail.size());
        blobs_.put(key, thumbnail, "image/webp");
        continue;
      }
      if (unscaled_thumbnail.empty()) unscaled_thumbnail = make_thumbnail(raw[i], size);
      image.thumbnail_bytes += static_cast<std::int64_t>(unscaled_thumbnail.size());
      blobs_.put(key, unscaled_thumbnail, "image/webp");
    }
    images.push_back(std::move(image));
  }
  if (!store_.complete_job(job.id, running->worker_id, images, now_millis())) {
    // Another worker owns the job now; this attempt's files are not referenced by anything.
    spdlog::warn("job {}: lease lost before completion, discarding attempt {}", job.id,
                 job.attempts);
    delete_attempt_files(job, job.attempts);
    return;
  }
  events_.publish(JobEvent{JobEvent::Type::status, job.id, 1, JobStatus::succeeded});
}

GenerationInputs WorkerPool::load_inputs(const Job& job) {
  const auto load = [&](const std::string& image_id, const char* field) {
    const auto image = store_.get_image(job.user_id, image_id);
    if (!image) {
      throw invalid_argument(field, "image " + image_id +
                                        " was deleted after the generation was queued");
    }
    return decode_png(blobs_.get(image->blob_key)).image;
  };
  GenerationInputs inputs;
  if (!job.params.source_image_id.empty()) {
    inputs.image = load(job.params.source_image_id, "source_image_id");
  }
  if (!job.params.mask_image_id.empty()) {
    inputs.mask = load(job.params.mask_image_id, "mask_image_id");
  }
  return inputs;
}

void WorkerPool::delete_attempt_files(const Job& job, int attempt) {
  for (int i = 0; i < job.params.count; ++i) {
    const auto key = image_blob_key(job, attempt, i);
    try {
      blobs_.remove(key);
      for (int size : kThumbnailSizes) blobs_.remove(thumbnail_key(key, size));
    } catch (const std::exception& e) {
      spdlog::warn("cannot delete {}: {}", key, e.what());
    }
  }
}

}  // namespace rendermart
