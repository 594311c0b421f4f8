#include "services/request_rate_exchange.hpp"

#include <spdlog/spdlog.h>

namespace rendermart {

RequestRateExchange::RequestRateExchange(Store& store, RequestRateLimiter& limiter,
                                         std::chrono::milliseconds interval)
    : store_(store), limiter_(limiter), interval_(interval) {
  exchange_and_log();
  task_.emplace(interval_, [this] { exchange_and_log(); });
}

void RequestRateExchange::exchange() {
  const auto charges = limiter_.take_charges();
  try {
    const auto now = now_micros();
    limiter_.merge(store_.exchange_request_rates(charges, now), now);
  } catch (...) {
    limiter_.restore(charges);
    throw;
  }
}

void RequestRateExchange::exchange_and_log() {
  try {
    exchange();
    if (failing_) spdlog::info("request rates are shared with the other API processes again");
    failing_ = false;
  } catch (const std::exception& e) {
    if (!failing_) {
      spdlog::warn(
          "cannot share request rates with the other API processes (trying again "
          "every {} ms): {}",
          interval_.count(), e.what());
    }
    failing_ = true;
  }
}

}  // namespace rendermart
