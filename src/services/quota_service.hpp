#pragma once

// Quotas and request rates: what a user may have and do, checked before work is accepted.
// Jobs in flight, images per day and stored bytes are counted by the Store in the transaction
// that queues the job, so they hold across every process sharing the database. Request rates are
// decided in this process's memory and shared with the other processes on the database every
// half second from the first request on (services/request_rate_limiter.hpp); a process that
// serves no requests (a worker) leaves the database alone.

#include <memory>
#include <mutex>
#include <string>

#include "services/limits.hpp"
#include "services/request_rate_exchange.hpp"
#include "services/request_rate_limiter.hpp"
#include "store/store.hpp"

namespace rendermart {

struct UsageReport {
  Limits limits;  // the user's own, or the defaults
  Usage usage;
  Millis day_resets_at = 0;  // when images per day start counting again (the next UTC midnight)
};

class QuotaService {
 public:
  QuotaService(Store& store, Limits defaults);

  // Counts one API request against the user's rate. Throws LimitExceeded(rate_limited).
  void check_request(const User& user);
  // Queues the job if the user stays within jobs in flight, stored bytes and images per day;
  // otherwise throws LimitExceeded(quota_exceeded) naming the limit, and nothing is queued.
  void enqueue(const User& user, const Job& job);
  // Files an uploaded image (Store::add_upload) if the user's stored bytes stay within their
  // limit with the image's original and thumbnails; otherwise throws
  // LimitExceeded(quota_exceeded) and nothing is filed.
  void add_upload(const User& user, const Job& job, const Image& image);
  UsageReport usage(const User& user);

  const Limits& defaults() const { return defaults_; }

 private:
  Store& store_;
  const Limits defaults_;
  RequestRateLimiter rates_;
  std::once_flag rate_sharing_started_;
  std::unique_ptr<RequestRateExchange> rate_exchange_;  // after rates_: its thread uses them
};

}  // namespace rendermart
