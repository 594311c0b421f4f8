#include "services/request_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace rendermart {
namespace {

// How often full buckets are dropped: often enough that memory follows the users active in
// the last minutes, rarely enough that the walk over the map costs nothing per request.
constexpr Millis kSweepIntervalMillis = 60'000;

constexpr double kMillisPerMinute = 60'000;

}  // namespace

RequestRateLimiter::Decision RequestRateLimiter::take(const std::string& key, int per_minute,
                                                      int burst, Millis now) {
  const double capacity = std::max(burst, 1);
  const double per_milli = std::max(per_minute, 1) / kMillisPerMinute;
  std::lock_guard lock(mutex_);
  if (now >= next_sweep_) sweep(now);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now, now});
  auto& bucket = it->second;
  if (!inserted) {
    const auto elapsed = static_cast<double>(std::max<Millis>(now - bucket.updated, 0));
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * per_milli);
    bucket.updated = now;
  }
  Decision decision;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    decision.remaining = static_cast<int>(bucket.tokens);
  } else {
    decision.allowed = false;
    const auto wait_millis = (1 - bucket.tokens) / per_milli;
    decision.retry_after =
        std::chrono::seconds(std::max<std::int64_t>(1, std::llround(std::ceil(wait_millis / 1000))));
  }
  bucket.full_at = now + static_cast<Millis>(std::ceil((capacity - bucket.tokens) / per_milli));
  return decision;
}

std::size_t RequestRateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

void RequestRateLimiter::sweep(Millis now) {
  std::erase_if(buckets_, [now](const auto& entry) { return entry.second.full_at <= now; });
  next_sweep_ = now + kSweepIntervalMillis;
}

}  // namespace rendermart
