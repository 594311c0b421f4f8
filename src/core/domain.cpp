#include "core/domain.hpp"

namespace rendermart {

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::queued: return "queued";
    case JobStatus::running: return "running";
    case JobStatus::succeeded: return "succeeded";
    case JobStatus::failed: return "failed";
    case JobStatus::canceled: return "canceled";
  }
  return "queued";
}

std::optional<JobStatus> job_status_from_string(const std::string& text) {
  for (auto s : {JobStatus::queued, JobStatus::running, JobStatus::succeeded, JobStatus::failed,
                 JobStatus::canceled}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

const char* to_string(GenerationTask task) {
  switch (task) {
    case GenerationTask::text_to_image: return "text_to_image";
    case GenerationTask::image_to_image: return "image_to_image";
    case GenerationTask::inpaint: return "inpaint";
    case GenerationTask::outpaint: return "outpaint";
    case GenerationTask::remove_background: return "remove_background";
    case GenerationTask::upscale: return "upscale";
    case GenerationTask::erase: return "erase";
    case GenerationTask::search_replace: return "search_replace";
    case GenerationTask::search_recolor: return "search_recolor";
    case GenerationTask::sketch: return "sketch";
    case GenerationTask::structure: return "structure";
    case GenerationTask::style_guide: return "style_guide";
    case GenerationTask::style_transfer: return "style_transfer";
    case GenerationTask::upload: return "upload";
  }
  return "text_to_image";
}

std::optional<GenerationTask> generation_task_from_string(const std::string& text) {
  for (auto t :
       {GenerationTask::text_to_image, GenerationTask::image_to_image, GenerationTask::inpaint,
        GenerationTask::outpaint, GenerationTask::remove_background, GenerationTask::upscale,
        GenerationTask::erase, GenerationTask::search_replace, GenerationTask::search_recolor,
        GenerationTask::sketch, GenerationTask::structure, GenerationTask::style_guide,
        GenerationTask::style_transfer, GenerationTask::upload}) {
    if (text == to_string(t)) return t;
  }
  return std::nullopt;
}

bool task_uses_source(GenerationTask task) {
  return task != GenerationTask::text_to_image && task != GenerationTask::upload;
}

bool task_uses_mask(GenerationTask task) {
  return task == GenerationTask::inpaint || task == GenerationTask::outpaint ||
         task == GenerationTask::erase;
}

bool task_uses_prompt(GenerationTask task) {
  return task != GenerationTask::remove_background && task != GenerationTask::upscale &&
         task != GenerationTask::erase && task != GenerationTask::upload;
}

bool task_is_requestable(GenerationTask task) { return task != GenerationTask::upload; }

int task_scale(GenerationTask task) { return task == GenerationTask::upscale ? 2 : 1; }

bool is_final(JobStatus status) {
  return status == JobStatus::succeeded || status == JobStatus::failed ||
         status == JobStatus::canceled;
}

}  // namespace rendermart
