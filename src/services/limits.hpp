#pragma once

// The limits every user works within: the server's defaults (settings), each replaceable per
// user by an administrator (User::limits).

#include <cstdint>

#include "core/domain.hpp"

namespace rendermart {

struct Limits {
  int jobs_in_flight = 20;
  int images_per_day = 500;
  std::int64_t stored_bytes = std::int64_t{5} << 30;
  int requests_per_minute = 600;
  int request_burst = 120;
};

// The defaults with the user's own limits in their place.
Limits effective_limits(const Limits& defaults, const UserLimits& own);

// The quota day is the UTC calendar day: images per day count from its midnight and the count
// starts again at the next one.
Millis utc_day_start(Millis now);
Millis utc_day_end(Millis now);

}  // namespace rendermart
