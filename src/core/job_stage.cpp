#include "core/job_stage.hpp"

namespace rendermart {

const char* to_string(JobStage stage) {
  switch (stage) {
    case JobStage::loading_model: return "loading_model";
    case JobStage::generating: return "generating";
    case JobStage::saving: return "saving";
  }
  return "generating";
}

std::optional<JobStage> job_stage_from_string(std::string_view text) {
  for (const auto stage : {JobStage::loading_model, JobStage::generating, JobStage::saving}) {
    if (text == to_string(stage)) return stage;
  }
  return std::nullopt;
}

}  // namespace rendermart
