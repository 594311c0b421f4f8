#pragma once

// A request refused by a limit (rate_limited or quota_exceeded), with what a client needs to
// come back in time: the size of the limit and, as Error::retry_after, when it allows the request
// again. http/status.cpp turns them into Retry-After and RateLimit-* headers.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace rendermart {

class LimitExceeded : public Error {
 public:
  // `retry_after` zero: no wait will help (stored bytes free up only when images are deleted).
  LimitExceeded(ErrorCode code, const std::string& message, std::int64_t limit,
                std::chrono::seconds retry_after)
      : Error(code, message), limit_(limit) {
    with_retry_after(retry_after);
  }

  std::int64_t limit() const { return limit_; }

 private:
  std::int64_t limit_;
};

}  // namespace rendermart
