#include <gtest/gtest.h>

#include "services/limits.hpp"
#include "services/request_rate_limiter.hpp"

namespace rendermart {
namespace {

constexpr Millis kMinute = 60'000;

TEST(EffectiveLimits, OwnLimitsReplaceTheDefaultsOneByOne) {
  const Limits defaults;
  UserLimits own;
  own.images_per_day = 7;
  own.stored_bytes = 1000;
  const auto limits = effective_limits(defaults, own);
  EXPECT_EQ(limits.images_per_day, 7);
  EXPECT_EQ(limits.stored_bytes, 1000);
  EXPECT_EQ(limits.jobs_in_flight, defaults.jobs_in_flight);
  EXPECT_EQ(limits.requests_per_minute, defaults.requests_per_minute);
  EXPECT_EQ(limits.request_burst, defaults.request_burst);
}

TEST(UtcDay, RunsFromMidnightToMidnightUtc) {
  const Millis noon = 1'764'072'000'000;  // 2025-11-25T12:00:00Z
  EXPECT_EQ(utc_day_start(noon), 1'764'028'800'000);
  EXPECT_EQ(utc_day_end(noon), 1'764'115'200'000);
  EXPECT_EQ(utc_day_start(utc_day_end(noon)), utc_day_end(noon));  // midnight starts a day
}

TEST(RequestRateLimiter, AllowsTheBurstThenRefusesUntilARequestHasRefilled) {
  RequestRateLimiter limiter;
  const Millis t0 = 1'000'000;
  for (int i = 0; i < 5; ++i) {
    const auto decision = limiter.take("u", 60, 5, t0);
    EXPECT_TRUE(decision.allowed) << i;
    EXPECT_EQ(decision.remaining, 4 - i);
  }
  const auto refused = limiter.take("u", 60, 5, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after.count(), 1);  // one request a second refills
  EXPECT_FALSE(limiter.take("u", 60, 5, t0 + 999).allowed);
  EXPECT_TRUE(limiter.take("u", 60, 5, t0 + 2000).allowed);
}

TEST(RequestRateLimiter, KeysHaveTheirOwnBuckets) {
  RequestRateLimiter limiter;
  EXPECT_TRUE(limiter.take("a", 1, 1, 0).allowed);
  EXPECT_FALSE(limiter.take("a", 1, 1, 0).allowed);
  EXPECT_TRUE(limiter.take("b", 1, 1, 0).allowed);
}

TEST(RequestRateLimiter, TheWaitFollowsTheRate) {
  RequestRateLimiter limiter;
  EXPECT_TRUE(limiter.take("u", 2, 1, 0).allowed);
  EXPECT_EQ(limiter.take("u", 2, 1, 0).retry_after.count(), 30);  // 2 a minute: one each 30 s
}

TEST(RequestRateLimiter, ALowerBurstTakesEffectAtOnce) {
  RequestRateLimiter limiter;
  EXPECT_TRUE(limiter.take("u", 600, 100, 0).allowed);
  EXPECT_TRUE(limiter.take("u", 600, 2, 0).allowed);
  EXPECT_TRUE(limiter.take("u", 600, 2, 0).allowed);
  EXPECT_FALSE(limiter.take("u", 600, 2, 0).allowed);
}

TEST(RequestRateLimiter, BucketsThatFilledUpAgainAreDropped) {
  RequestRateLimiter limiter;
  for (int i = 0; i < 100; ++i) limiter.take("user" + std::to_string(i), 60, 10, 0);
  EXPECT_EQ(limiter.size(), 100U);
  // A minute later every bucket is full again; the next request sweeps them away.
  limiter.take("late", 60, 10, 2 * kMinute);
  EXPECT_EQ(limiter.size(), 1U);
}

}  // namespace
}  // namespace rendermart
