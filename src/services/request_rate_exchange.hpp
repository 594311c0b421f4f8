#pragma once

// Shares request rates between the API processes on one database: once when it starts, then
// every half second, sends what this process let through (RequestRateLimiter's charges) and
// takes back every active user's allowance as the database has it, others' requests included,
// so that a user's first request here already counts what they did elsewhere.
// An unreachable database delays sharing; the charges are kept and sent with the next exchange.

#include <chrono>
#include <optional>

#include "core/periodic_task.hpp"

#include "services/request_rate_limiter.hpp"
#include "store/store.hpp"

namespace rendermart {

class RequestRateExchange {
 public:
  // Exchanges once on the caller's thread (logging a failure), then on its own thread every
  // interval until destroyed.
  RequestRateExchange(Store& store, RequestRateLimiter& limiter,
                      std::chrono::milliseconds interval);

  // Half a second: short next to a minute's refill, and two small statements a second per
  // process cost the database nothing it notices.
  static constexpr std::chrono::milliseconds kDefaultInterval{500};

 private:
  // Throws what the store throws; the charges are kept for the next exchange.
  void exchange();
  // Exchanges and logs when sharing stops or starts working again (not every failed try).
  void exchange_and_log();

  Store& store_;
  RequestRateLimiter& limiter_;
  std::chrono::milliseconds interval_;
  bool failing_ = false;              // used by one exchange at a time: the first, then the task's
  std::optional<PeriodicTask> task_;  // last: started after the first exchange
};

}  // namespace rendermart
