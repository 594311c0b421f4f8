#include "services/limits.hpp"

namespace rendermart {
namespace {

constexpr Millis kDayMillis = 24LL * 60 * 60 * 1000;

}  // namespace

Limits effective_limits(const Limits& defaults, const UserLimits& own) {
  Limits limits = defaults;
  if (own.jobs_in_flight) limits.jobs_in_flight = *own.jobs_in_flight;
  if (own.images_per_day) limits.images_per_day = *own.images_per_day;
  if (own.stored_bytes) limits.stored_bytes = *own.stored_bytes;
  if (own.requests_per_minute) limits.requests_per_minute = *own.requests_per_minute;
  if (own.request_burst) limits.request_burst = *own.request_burst;
  return limits;
}

Millis utc_day_start(Millis now) { return now - now % kDayMillis; }

Millis utc_day_end(Millis now) { return utc_day_start(now) + kDayMillis; }

}  // namespace rendermart
