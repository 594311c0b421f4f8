#pragma once

#include <optional>
#include <string_view>

namespace rendermart {

// What a running job is doing, so that a wait is not mistaken for a stall: loading its model
// into memory (seconds to a minute), generating (the progress fraction moves), saving its files.
enum class JobStage { loading_model, generating, saving };

// "loading_model", "generating", "saving".
const char* to_string(JobStage stage);
std::optional<JobStage> job_stage_from_string(std::string_view text);

}  // namespace rendermart
