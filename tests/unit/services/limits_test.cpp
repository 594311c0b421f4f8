#include <gtest/gtest.h>

#include "services/limits.hpp"
#include "services/request_rate_limiter.hpp"

namespace rendermart {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;

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
  const Micros t0 = 1'000 * kSecond;
  for (int i = 0; i < 5; ++i) {
    const auto decision = limiter.take("u", 60, 5, t0);
    EXPECT_TRUE(decision.allowed) << i;
    EXPECT_EQ(decision.remaining, 4 - i);
  }
  const auto refused = limiter.take("u", 60, 5, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after.count(), 1);  // one request a second refills
  EXPECT_FALSE(limiter.take("u", 60, 5, t0 + kSecond - 1).allowed);
  EXPECT_TRUE(limiter.take("u", 60, 5, t0 + kSecond).allowed);
  EXPECT_FALSE(limiter.take("u", 60, 5, t0 + kSecond).allowed);
  // Three seconds later three requests have refilled.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("u", 60, 5, t0 + 4 * kSecond).allowed) << i;
  EXPECT_FALSE(limiter.take("u", 60, 5, t0 + 4 * kSecond).allowed);
}

TEST(RequestRateLimiter, UsersHaveTheirOwnAllowances) {
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
  EXPECT_FALSE(limiter.take("u", 600, 2, 0).allowed);
}

TEST(RequestRateLimiter, HighRatesKeepTheirPrecision) {
  RequestRateLimiter limiter;
  // 600,000 a minute: 10,000 requests a second, whatever the burst.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.take("u", 600'000, 10, kSecond).allowed);
  EXPECT_FALSE(limiter.take("u", 600'000, 10, kSecond).allowed);
  EXPECT_TRUE(limiter.take("u", 600'000, 10, kSecond + 100).allowed);
}

TEST(RequestRateLimiter, AllowancesWholeAgainWithNothingToSendAreDropped) {
  RequestRateLimiter limiter;
  for (int i = 0; i < 100; ++i) limiter.take("user" + std::to_string(i), 60, 10, 0);
  EXPECT_EQ(limiter.size(), 100U);
  // A minute later every allowance is whole again, but none was sent: they stay.
  limiter.take("late", 60, 10, 2 * kMinute);
  EXPECT_EQ(limiter.size(), 101U);
  EXPECT_EQ(limiter.take_charges().size(), 101U);
  // Sent, they go at the next sweep.
  limiter.take("later", 60, 10, 4 * kMinute - kSecond);
  limiter.take("later", 60, 10, 4 * kMinute);
  EXPECT_EQ(limiter.size(), 1U);
}

// The charges are what the requests did to the allowance: applied to the allowance this process
// started from, they give what it has now.
TEST(RequestRateLimiter, ChargesRepeatWhatTheRequestsDid) {
  RequestRateLimiter limiter;
  const Micros t0 = 1'000 * kSecond;
  limiter.take("u", 60, 10, t0);
  limiter.take("u", 60, 10, t0);
  limiter.take("u", 60, 10, t0 + 5 * kSecond);  // the allowance was whole again by then
  const auto charges = limiter.take_charges();
  ASSERT_EQ(charges.size(), 1U);
  EXPECT_EQ(charges[0].user_id, "u");
  EXPECT_EQ(charges[0].charge_us, 3 * kSecond);
  EXPECT_EQ(charges[0].floor_us, t0 + 6 * kSecond);
  EXPECT_TRUE(limiter.take_charges().empty()) << "sent once";
}

// What another process let through comes back in the database's allowance and counts here.
TEST(RequestRateLimiter, AllowancesFromTheDatabaseCountHere) {
  RequestRateLimiter limiter;
  const Micros t0 = 1'000 * kSecond;
  EXPECT_TRUE(limiter.take("u", 60, 10, t0).allowed);
  limiter.take_charges();
  EXPECT_TRUE(limiter.take("u", 60, 10, t0).allowed);  // after the charges were taken
  // Meanwhile another process let 7 through: the database has 1 + 7 seconds.
  limiter.merge({{"u", t0 + 8 * kSecond}, {"stranger", t0 + 3 * kSecond}, {"old", t0 - 1}}, t0);
  EXPECT_EQ(limiter.size(), 2U) << "a user whole already is not kept";
  EXPECT_TRUE(limiter.take("u", 60, 10, t0).allowed);  // 10th
  EXPECT_FALSE(limiter.take("u", 60, 10, t0).allowed);
  // A user this process never served arrives with what the others used.
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(limiter.take("stranger", 60, 10, t0).allowed) << i;
  EXPECT_FALSE(limiter.take("stranger", 60, 10, t0).allowed);
}

TEST(RequestRateLimiter, ADatabaseThatIsBehindDoesNotUndoRequests) {
  RequestRateLimiter limiter;
  for (int i = 0; i < 5; ++i) limiter.take("u", 60, 5, 0);
  limiter.merge({{"u", 1}}, 0);
  EXPECT_FALSE(limiter.take("u", 60, 5, 0).allowed);
}

TEST(RequestRateLimiter, ChargesThatCouldNotBeSentGoWithTheNextOnes) {
  RequestRateLimiter limiter;
  const Micros t0 = 1'000 * kSecond;
  limiter.take("u", 60, 10, t0);
  limiter.take("u", 60, 10, t0);
  const auto unsent = limiter.take_charges();
  limiter.take("u", 60, 10, t0 + 5 * kSecond);
  limiter.restore(unsent);
  const auto charges = limiter.take_charges();
  ASSERT_EQ(charges.size(), 1U);
  EXPECT_EQ(charges[0].charge_us, 3 * kSecond);
  EXPECT_EQ(charges[0].floor_us, t0 + 6 * kSecond);
}

}  // namespace
}  // namespace rendermart
