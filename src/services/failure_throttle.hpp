#pragma once

// Exponential back-off per key (an account, a client address): the first `free_failures`
// failures cost nothing, then each one makes the key wait first_delay, 2 x first_delay, ... up
// to max_delay before it may try again. A key forgotten after `forget_after` without failures
// starts afresh. State lives in this process's memory: several API processes each keep their own
// counts. At most max_keys keys are kept (the least recently failed go first), so an attacker
// rotating keys cannot grow it without bound.

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rendermart {

struct ThrottlePolicy {
  int free_failures = 5;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{600};
  std::chrono::seconds forget_after{3600};
  std::size_t max_keys = 100'000;
};

class FailureThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FailureThrottle(ThrottlePolicy policy);

  // How long the key must still wait before its next try; zero when it may try now.
  std::chrono::seconds wait(const std::string& key, Clock::time_point now);
  // Counts a failure (or, for sign-ups, any attempt) of the key.
  void record_failure(const std::string& key, Clock::time_point now);
  // The key starts afresh (a successful login).
  void reset(const std::string& key);

  const ThrottlePolicy& policy() const { return policy_; }

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last_failure;
    Clock::time_point blocked_until;
    std::list<std::string>::iterator recency;  // its place in recency_
  };
  // The entry of a key, or nullptr (an expired one is removed). Caller holds mutex_.
  Entry* find(const std::string& key, Clock::time_point now);
  void erase(std::unordered_map<std::string, Entry>::iterator it);

  const ThrottlePolicy policy_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // keys, most recently failed first
};

}  // namespace rendermart
