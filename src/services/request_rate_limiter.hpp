#pragma once

// Request rate limits: each user may make `burst` requests at once and `per_minute` a minute,
// evenly refilled (a token bucket, kept as GCRA's one number: the moment the user's allowance
// is whole again).
//
// Several API processes share one allowance per user: each decides from its own view, at once,
// and keeps what it let through as a charge that RequestRateExchange applies to the allowance
// in the database every half second, bringing back the others' charges. Between two exchanges
// a process does not see what the others let through, so a burst can pass once in each of N
// processes; what went over is owed: the shared allowance holds the user back until it is paid,
// so over any longer period the user gets the limit, not N times it.
//
// Thread-safe. Memory follows the users active within the last refill period: an allowance
// that is whole again, with nothing left to send, is the same as none and is dropped.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace rendermart {

// Microseconds since the Unix epoch: a request at 600,000 a minute costs 100 of them.
using Micros = std::int64_t;

Micros now_micros();

class RequestRateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    int remaining = 0;                    // requests left in the burst after this one
    std::chrono::seconds retry_after{0};  // when refused: until the next request is allowed
  };

  // Takes one request from the user's allowance. per_minute and burst are at least 1.
  Decision take(const std::string& user_id, int per_minute, int burst, Micros now);

  // What this process let through since the last call, for the database. Its own view keeps
  // counting them.
  std::vector<RateCharge> take_charges();
  // The allowances in the database after `take_charges`'s were applied: each user's becomes
  // the later of this process's view and the database's, plus what was let through since.
  void merge(const std::vector<RateState>& states, Micros now);
  // Charges that could not be sent go back, to be sent with the next ones.
  void restore(const std::vector<RateCharge>& charges);

  // Users held now (for tests).
  std::size_t size() const;

 private:
  struct Allowance {
    Micros full_at = 0;  // when the allowance is whole again, as far as this process knows
    // Not yet sent: the requests let through apply full_at = max(full_at + charge, floor).
    Micros charge = 0;
    Micros floor = 0;
  };

  // Needs mutex_. Drops the allowances that are whole again and have nothing to send.
  void sweep(Micros now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Allowance> users_;
  Micros next_sweep_ = 0;
};

}  // namespace rendermart
