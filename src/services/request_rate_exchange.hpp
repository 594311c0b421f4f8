#pragma once

// Shares request rates between the API processes on one database: once when it starts, then
// every half second, sends what this process let through (RequestRateLimiter's charges) and
// takes back every active user's allowance as the database has it, others' requests included,
// so that a user's first request here already counts what they did elsewhere.
// An unreachable database delays sharing; the charges are kept and sent with the next exchange.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/request_rate_limiter.hpp"
#include "store/store.hpp"

namespace rendermart {

class RequestRateExchange {
 public:
  RequestRateExchange(Store& store, RequestRateLimiter& limiter,
                      std::chrono::milliseconds interval);
  // Exchanges once on the caller's thread (logging a failure), then starts its own.
  // Stops and joins the thread.
  ~RequestRateExchange();
  RequestRateExchange(const RequestRateExchange&) = delete;
  RequestRateExchange& operator=(const RequestRateExchange&) = delete;

  // Half a second: short next to a minute's refill, and two small statements a second per
  // process cost the database nothing it notices.
  static constexpr std::chrono::milliseconds kDefaultInterval{500};

 private:
  // Throws what the store throws; the charges are kept for the next exchange.
  void exchange();
  void run();
  // Exchanges and logs when sharing stops or starts working again (not every failed try).
  void exchange_and_log();

  Store& store_;
  RequestRateLimiter& limiter_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failing_ = false;
  std::thread thread_;  // last: started when everything else is ready
};

}  // namespace rendermart
