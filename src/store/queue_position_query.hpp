#pragma once

// The SQL of Store::queue_position and of the positions of Store::unfinished_jobs, written once for
// both backends: they differ only in how parameters are named.

#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace rendermart {

// One row (the job's id, its position) for the job `job_param` names, or no row when it is not
// queued; `now_param` names the time against which leases count as running.
std::string queue_position_query(std::string_view job_param, std::string_view now_param);
// One row (id, position) for each queued job of the user `user_param` names.
std::string user_queue_positions_query(std::string_view user_param, std::string_view now_param);

// A row of those queries.
struct QueuePositionRow {
  std::string job_id;
  int position = 0;
};

// The jobs, each with its position among `positions` (none when it has none there).
std::vector<UnfinishedJob> with_queue_positions(std::vector<Job> jobs,
                                                const std::vector<QueuePositionRow>& positions);

}  // namespace rendermart
