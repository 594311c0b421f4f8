#include "store/queue_position_query.hpp"

#include <map>

namespace rendermart {

// A claim takes, among each user's oldest queued job, the one whose user has the fewest jobs
// running, then the user served least recently, then the oldest job. Each claim adds one to its
// user's running jobs and makes it the user served last. So the job that is k-th (from 0) of its
// user's queue, with r of its user's jobs running, is taken in turn r + k; within a turn the
// users that have not been served yet since now go first (k = 0), then those served once (k = 1),
// and so on, each group in its order of the turn before, which comes down to the user's last
// start and then the user's oldest queued job. The queue thus runs in order of
// (turn r + k, k, last start, oldest queued job), and a job's position is the number of queued jobs
// before it in that order.
namespace {

// The queued jobs ranked in the queue's order (turn, k, last start, head_created, head_id), with
// their users: the CTE both queries below read.
std::string ranked_queue(const std::string& now) {
  return "WITH"
         " running AS ("
         "  SELECT user_id, COUNT(*) AS n FROM jobs"
         "  WHERE status = 'running' AND lease_expires_at >= " +
         now +
         "  GROUP BY user_id),"
         " queued AS ("
         "  SELECT user_id, id,"
         "   ROW_NUMBER() OVER users_queue - 1 AS k,"
         "   FIRST_VALUE(created_at) OVER users_queue AS head_created,"
         "   FIRST_VALUE(id) OVER users_queue AS head_id"
         "  FROM jobs WHERE status = 'queued'"
         "  WINDOW users_queue AS (PARTITION BY user_id ORDER BY created_at, id)),"
         " served AS ("
         "  SELECT u.user_id, COALESCE((SELECT MAX(s.started_at) FROM jobs AS s"
         "                              WHERE s.user_id = u.user_id), 0) AS last_start"
         "  FROM (SELECT DISTINCT user_id FROM queued) AS u),"
         " ranked AS ("
         "  SELECT q.id, q.user_id, COALESCE(r.n, 0) + q.k AS turn, q.k, s.last_start,"
         "   q.head_created, q.head_id"
         "  FROM queued AS q JOIN served AS s ON s.user_id = q.user_id"
         "  LEFT JOIN running AS r ON r.user_id = q.user_id) "
         "SELECT j.id, CAST(COUNT(a.id) AS BIGINT) FROM ranked AS j"
         " LEFT JOIN ranked AS a"
         " ON (a.turn, a.k, a.last_start, a.head_created, a.head_id)"
         "  < (j.turn, j.k, j.last_start, j.head_created, j.head_id) ";
}

}  // namespace

std::string queue_position_query(std::string_view job_param, std::string_view now_param) {
  return ranked_queue(std::string(now_param)) + "WHERE j.id = " + std::string(job_param) +
         " GROUP BY j.id";
}

std::string user_queue_positions_query(std::string_view user_param, std::string_view now_param) {
  return ranked_queue(std::string(now_param)) + "WHERE j.user_id = " + std::string(user_param) +
         " GROUP BY j.id";
}

std::vector<UnfinishedJob> with_queue_positions(std::vector<Job> jobs,
                                                const std::vector<QueuePositionRow>& positions) {
  std::map<std::string, int> by_job;
  for (const auto& row : positions) by_job.emplace(row.job_id, row.position);
  std::vector<UnfinishedJob> out;
  out.reserve(jobs.size());
  for (auto& job : jobs) {
    const auto position = by_job.find(job.id);
    out.push_back({std::move(job),
                   position == by_job.end() ? std::nullopt : std::optional<int>(position->second)});
  }
  return out;
}

}  // namespace rendermart
