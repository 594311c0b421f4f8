#include "services/generation_runner.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "imaging/png.hpp"
#include "services/image_files.hpp"

namespace rendermart {
namespace {

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::provider_error || code == ErrorCode::storage_error ||
         code == ErrorCode::unavailable || code == ErrorCode::rate_limited ||
         code == ErrorCode::internal;
}

}  // namespace

GenerationRunner::GenerationRunner(Store& store, BlobStore& blobs, const ModelCatalog& catalog,
                                   JobEvents& events, Metrics& metrics, QueuePolicy policy,
                                   int concurrent_jobs)
    : store_(store),
      blobs_(blobs),
      writers_(blobs, concurrent_jobs * kFilesPerImage),
      catalog_(catalog),
      events_(events),
      metrics_(metrics),
      policy_(policy) {
  metrics_.describe("rendermart_job_duration_seconds", "histogram",
                    "Time from claim to completion of successful jobs, by model",
                    {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
  metrics_.describe("rendermart_images_generated_total", "counter", "Images stored");
  metrics_.describe("rendermart_job_failures_total", "counter",
                    "Job attempts that ended in an error, by error code");
}

void GenerationRunner::run(ClaimedJob& claimed, const ProgressFn& on_progress) {
  const Job& job = claimed.job;
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("job {} claimed by {} (attempt {}, model {})", job.id, claimed.worker_id,
               job.attempts, job.params.model);
  events_.publish(JobEvent{JobEvent::Type::status, job.id, job.user_id, 0, JobStatus::running});
  for (int attempt = 1; attempt < job.attempts; ++attempt) delete_attempt_files(job, attempt);

  try {
    // Models come and go with the models folder: one removed since the job was queued fails
    // it for good (model_error is not retried).
    const auto model = catalog_.find(job.params.model);
    if (!model) {
      throw Error(ErrorCode::model_error,
                  "model " + job.params.model + " was removed after the generation was queued");
    }
    const auto raw =
        model->provider->generate(job.params, load_inputs(job), on_progress, claimed.cancel);
    if (claimed.cancel) throw Error(ErrorCode::canceled, "generation canceled");
    on_progress({1, std::nullopt, JobStage::saving});
    store_and_complete(claimed, model->info, raw);
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.observe("rendermart_job_duration_seconds", {{"model", job.params.model}}, seconds);
    metrics_.increment("rendermart_images_generated_total", {}, static_cast<double>(raw.size()));
    return;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::canceled) {
      delete_attempt_files(job, job.attempts);
      if (claimed.shutting_down) {
        store_.release_job(job.id, claimed.worker_id);
        events_.publish(
            JobEvent{JobEvent::Type::status, job.id, job.user_id, 0, JobStatus::queued});
      } else if (store_.cancel_job(job.id, claimed.worker_id, now_millis())) {
        events_.publish(JobEvent{JobEvent::Type::status, job.id, job.user_id, claimed.progress,
                                 JobStatus::canceled});
      }
      return;
    }
    metrics_.increment("rendermart_job_failures_total",
                       {{"code", std::string(to_string(e.code()))}});
    spdlog::warn("job {} attempt {} failed: {}: {}", job.id, job.attempts, to_string(e.code()),
                 e.what());
    delete_attempt_files(job, job.attempts);
    store_.fail_job(job.id, claimed.worker_id, std::string(to_string(e.code())), e.what(),
                    is_retryable(e.code()), now_millis(), policy_);
  } catch (const std::exception& e) {
    metrics_.increment("rendermart_job_failures_total", {{"code", "internal"}});
    spdlog::error("job {} attempt {} failed unexpectedly: {}", job.id, job.attempts, e.what());
    delete_attempt_files(job, job.attempts);
    store_.fail_job(job.id, claimed.worker_id, "internal", e.what(), true, now_millis(), policy_);
  }
  // The job either failed for good or went back to the queue; listeners learn which.
  if (auto after = store_.get_job(job.user_id, job.id)) {
    events_.publish(
        JobEvent{JobEvent::Type::status, job.id, job.user_id, after->progress, after->status});
  }
}

void GenerationRunner::store_and_complete(const ClaimedJob& claimed, const ModelInfo& model,
                                          const std::vector<RawImage>& raw) {
  const Job& job = claimed.job;
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

    const std::string png = generated_png(raw[i], image.params, model.name);
    image.bytes = static_cast<std::int64_t>(png.size());
    image.sha256 = sha256_hex(png);
    image.thumbnail_bytes = put_image_files(writers_, image.blob_key, png, raw[i]);
    images.push_back(std::move(image));
  }
  if (!store_.complete_job(job.id, claimed.worker_id, images, now_millis())) {
    // Another worker owns the job now; this attempt's files are not referenced by anything.
    spdlog::warn("job {}: lease lost before completion, discarding attempt {}", job.id,
                 job.attempts);
    delete_attempt_files(job, job.attempts);
    return;
  }
  events_.publish(JobEvent{JobEvent::Type::status, job.id, job.user_id, 1, JobStatus::succeeded});
}

GenerationInputs GenerationRunner::load_inputs(const Job& job) {
  const auto load = [&](const std::string& image_id, const char* field,
                        std::string* prompt = nullptr) {
    const auto image = store_.get_image(job.user_id, image_id);
    if (!image) {
      throw invalid_argument(field,
                             "image " + image_id + " was deleted after the generation was queued");
    }
    if (prompt) *prompt = image->params.prompt;
    return decode_png(blobs_.get(image->blob_key)).image;
  };
  GenerationInputs inputs;
  if (!job.params.source_image_id.empty()) {
    inputs.image = load(job.params.source_image_id, "source_image_id", &inputs.source_prompt);
  }
  if (!job.params.mask_image_id.empty()) {
    inputs.mask = load(job.params.mask_image_id, "mask_image_id");
  }
  if (!job.params.style_image_id.empty()) {
    inputs.style = load(job.params.style_image_id, "style_image_id");
  }
  return inputs;
}

void GenerationRunner::delete_attempt_files(const Job& job, int attempt) {
  for (int i = 0; i < job.params.count; ++i) {
    const auto key = image_blob_key(job, attempt, i);
    try {
      remove_image_files(blobs_, key);
    } catch (const std::exception& e) {
      spdlog::warn("cannot delete {}: {}", key, e.what());
    }
  }
}

}  // namespace rendermart
