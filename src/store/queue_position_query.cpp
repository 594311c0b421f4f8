#include "store/queue_position_query.hpp"

namespace rendermart {

// Claims go by (running jobs of the user, age), and each claim adds one to its user's running
// jobs. So a job with r jobs of its user running and k of its user's jobs queued before it is
// taken when its user reaches level r + k, and the queue runs in order of (level, created_at,
// id). For the job J at level L, another user V with r_V running and n_V queued has its jobs at
// levels r_V .. r_V + n_V - 1: those below L are ahead of J (m = L - r_V of them at most), and
// the one at level L is ahead when it is older than J, that is when more than m of V's queued
// jobs are older than J. One pass over the queued and running jobs, grouped by user.
std::string queue_position_query(std::string_view job_param, std::string_view now_param) {
  const std::string job(job_param);
  const std::string now(now_param);
  return "WITH"
         " job AS ("
         "  SELECT user_id, created_at, id FROM jobs WHERE id = " + job +
         "  AND status = 'queued'),"
         " queued AS ("
         "  SELECT q.user_id, COUNT(*) AS n,"
         "   SUM(CASE WHEN (q.created_at, q.id) < (job.created_at, job.id) THEN 1 ELSE 0 END)"
         "    AS older"
         "  FROM jobs AS q CROSS JOIN job WHERE q.status = 'queued' GROUP BY q.user_id),"
         " running AS ("
         "  SELECT user_id, COUNT(*) AS n FROM jobs"
         "  WHERE status = 'running' AND lease_expires_at >= " + now +
         "  GROUP BY user_id),"
         " users AS ("
         "  SELECT queued.user_id, queued.n, queued.older, COALESCE(running.n, 0) AS r"
         "  FROM queued LEFT JOIN running ON running.user_id = queued.user_id),"
         " mine AS ("
         "  SELECT users.older + users.r AS job_level FROM users JOIN job"
         "  ON users.user_id = job.user_id),"
         " ahead AS ("
         "  SELECT users.n, users.older, mine.job_level - users.r AS m FROM users CROSS JOIN mine) "
         "SELECT CAST(SUM(CASE WHEN m < 0 THEN 0 WHEN older > m THEN m + 1"
         "                     WHEN n < m THEN n ELSE m END) AS BIGINT) "
         "FROM ahead HAVING COUNT(*) > 0";
}

}  // namespace rendermart
