#include "store/usage_query.hpp"

#include <fmt/format.h>

namespace rendermart {

std::string usage_query(std::string_view user_param, std::string_view day_start_param) {
  return fmt::format(
      "SELECT (SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND user_id = {0}), "
      "(SELECT COALESCE(SUM(count), 0) FROM jobs WHERE user_id = {0} AND created_at >= {1} "
      " AND status IN ('queued', 'running', 'succeeded')), "
      "(SELECT COALESCE(SUM(bytes + thumbnail_bytes), 0) FROM images WHERE user_id = {0})",
      user_param, day_start_param);
}

}  // namespace rendermart
