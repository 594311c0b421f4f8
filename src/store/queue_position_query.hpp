#pragma once

// The SQL of Store::queue_position, written once for both backends: they differ only in how
// parameters are named.

#include <string>
#include <string_view>

namespace rendermart {

// One row with the position of the job `job_param` names, or no row when it is not queued;
// `now_param` names the time against which leases count as running.
std::string queue_position_query(std::string_view job_param, std::string_view now_param);

}  // namespace rendermart
