#include "services/request_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace rendermart {
namespace {

// How often whole allowances are dropped: often enough that memory follows the users active in
// the last minutes, rarely enough that the walk over the map costs nothing per request.
constexpr Micros kSweepInterval = 60'000'000;

constexpr Micros kMicrosPerMinute = 60'000'000;

}  // namespace

Micros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RequestRateLimiter::Decision RequestRateLimiter::take(const std::string& user_id, int per_minute,
                                                      int burst, Micros now) {
  const Micros cost = std::max<Micros>(1, kMicrosPerMinute / std::max(per_minute, 1));
  const Micros tolerance = cost * std::max(burst, 1);
  std::lock_guard lock(mutex_);
  if (now >= next_sweep_) sweep(now);
  auto& allowance = users_[user_id];
  const Micros full_at = std::max(allowance.full_at, now) + cost;
  Decision decision;
  if (full_at - now > tolerance) {
    decision.allowed = false;
    const double wait_seconds = static_cast<double>(full_at - now - tolerance) / 1e6;
    decision.retry_after =
        std::chrono::seconds(std::max<std::int64_t>(1, std::llround(std::ceil(wait_seconds))));
    return decision;
  }
  allowance.full_at = full_at;
  allowance.charge += cost;
  allowance.floor = std::max(allowance.floor, now) + cost;
  decision.remaining = static_cast<int>((now + tolerance - full_at) / cost);
  return decision;
}

std::vector<RateCharge> RequestRateLimiter::take_charges() {
  std::vector<RateCharge> charges;
  std::lock_guard lock(mutex_);
  for (auto& [user_id, allowance] : users_) {
    if (allowance.charge == 0) continue;
    charges.push_back({user_id, allowance.charge, allowance.floor});
    allowance.charge = 0;
    allowance.floor = 0;
  }
  return charges;
}

void RequestRateLimiter::merge(const std::vector<RateState>& states, Micros now) {
  std::lock_guard lock(mutex_);
  for (const auto& state : states) {
    if (state.full_at_us <= now) continue;
    auto& allowance = users_[state.user_id];
    const Micros shared = std::max(state.full_at_us + allowance.charge, allowance.floor);
    allowance.full_at = std::max(allowance.full_at, shared);
  }
}

void RequestRateLimiter::restore(const std::vector<RateCharge>& charges) {
  std::lock_guard lock(mutex_);
  for (const auto& sent : charges) {
    // The unsent requests came first: applying them, then the newer ones, is one charge.
    auto& allowance = users_[sent.user_id];
    allowance.floor = std::max(sent.floor_us + allowance.charge, allowance.floor);
    allowance.charge += sent.charge_us;
  }
}

std::size_t RequestRateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return users_.size();
}

void RequestRateLimiter::sweep(Micros now) {
  std::erase_if(users_, [now](const auto& entry) {
    return entry.second.full_at <= now && entry.second.charge == 0;
  });
  next_sweep_ = now + kSweepInterval;
}

}  // namespace rendermart
