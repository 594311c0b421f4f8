#include "services/failure_throttle.hpp"

#include <algorithm>

namespace rendermart {

FailureThrottle::FailureThrottle(ThrottlePolicy policy) : policy_(policy) {}

FailureThrottle::Entry* FailureThrottle::find(const std::string& key, Clock::time_point now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (now - it->second.last_failure >= policy_.forget_after && now >= it->second.blocked_until) {
    erase(it);
    return nullptr;
  }
  return &it->second;
}

void FailureThrottle::erase(std::unordered_map<std::string, Entry>::iterator it) {
  recency_.erase(it->second.recency);
  entries_.erase(it);
}

std::chrono::seconds FailureThrottle::wait(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const Entry* entry = find(key, now);
  if (!entry || entry->blocked_until <= now) return std::chrono::seconds(0);
  // Rounded up: a client that waits what it is told is never refused again for the remainder.
  return std::chrono::ceil<std::chrono::seconds>(entry->blocked_until - now);
}

void FailureThrottle::record_failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry* entry = find(key, now);
  if (!entry) {
    if (entries_.size() >= policy_.max_keys && !recency_.empty()) {
      erase(entries_.find(recency_.back()));
    }
    recency_.push_front(key);
    entry = &entries_.emplace(key, Entry{}).first->second;
    entry->recency = recency_.begin();
  } else {
    recency_.splice(recency_.begin(), recency_, entry->recency);
  }
  entry->failures += 1;
  entry->last_failure = now;
  const int over = entry->failures - policy_.free_failures;
  if (over <= 0) return;
  // Doubling from first_delay; the shift stops growing long before it could overflow.
  const auto delay = std::min<std::chrono::seconds>(
      policy_.first_delay * (std::int64_t{1} << std::min(over - 1, 30)), policy_.max_delay);
  entry->blocked_until = std::max(entry->blocked_until, now + delay);
}

void FailureThrottle::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(key); it != entries_.end()) erase(it);
}

}  // namespace rendermart
