#pragma once

// Request rate limits: a token bucket per key (a user id) that holds `burst` requests and
// refills `per_minute` of them a minute, evenly. The buckets live in this process's memory: each
// API process limits the requests it serves, so N processes behind a load balancer let a user
// through up to N times the rate.
//
// Thread-safe. Memory is bounded by the number of users active within the last refill period:
// a bucket that has filled up again is the same as none, and is dropped.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/domain.hpp"

namespace rendermart {

class RequestRateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    int remaining = 0;                  // requests left in the bucket after this one
    std::chrono::seconds retry_after{0};  // when refused: until the next request is allowed
  };

  // Takes one request from the key's bucket. per_minute and burst are at least 1.
  Decision take(const std::string& key, int per_minute, int burst, Millis now);

  // Buckets held now (for tests).
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    Millis updated = 0;
    Millis full_at = 0;  // when it holds `burst` again if nothing is taken
  };

  // Needs mutex_. Drops the buckets that are full again.
  void sweep(Millis now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  Millis next_sweep_ = 0;
};

}  // namespace rendermart
