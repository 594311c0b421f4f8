#include <gtest/gtest.h>

#include "services/failure_throttle.hpp"

namespace rendermart {
namespace {

using std::chrono::seconds;
using Clock = FailureThrottle::Clock;

ThrottlePolicy policy() {
  ThrottlePolicy p;
  p.free_failures = 3;
  p.first_delay = seconds(1);
  p.max_delay = seconds(8);
  p.forget_after = seconds(60);
  p.max_keys = 4;
  return p;
}

TEST(FailureThrottle, FreeFailuresThenDoublingUpToTheCap) {
  FailureThrottle throttle(policy());
  auto now = Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 3; ++i) {
    throttle.record_failure("a", now);
    EXPECT_EQ(throttle.wait("a", now), seconds(0)) << "free failure " << i + 1;
  }
  const seconds expected[] = {seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)};
  for (const auto delay : expected) {
    throttle.record_failure("a", now);
    EXPECT_EQ(throttle.wait("a", now), delay);
    now += delay;
    EXPECT_EQ(throttle.wait("a", now), seconds(0)) << "free to try once the delay is over";
  }
}

TEST(FailureThrottle, WaitsAreRoundedUp) {
  FailureThrottle throttle(policy());
  const auto now = Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 5; ++i) throttle.record_failure("a", now);
  EXPECT_EQ(throttle.wait("a", now + std::chrono::milliseconds(100)), seconds(2));
}

TEST(FailureThrottle, ResetAndForgetStartAfresh) {
  FailureThrottle throttle(policy());
  auto now = Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 4; ++i) throttle.record_failure("a", now);
  ASSERT_GT(throttle.wait("a", now), seconds(0));
  throttle.reset("a");
  EXPECT_EQ(throttle.wait("a", now), seconds(0));
  for (int i = 0; i < 3; ++i) throttle.record_failure("a", now);
  EXPECT_EQ(throttle.wait("a", now), seconds(0)) << "three free failures again after a reset";

  now += seconds(61);
  throttle.record_failure("a", now);
  EXPECT_EQ(throttle.wait("a", now), seconds(0)) << "forgotten after a minute without failures";
}

TEST(FailureThrottle, KeysAreIndependent) {
  FailureThrottle throttle(policy());
  const auto now = Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 4; ++i) throttle.record_failure("a", now);
  EXPECT_GT(throttle.wait("a", now), seconds(0));
  EXPECT_EQ(throttle.wait("b", now), seconds(0));
}

TEST(FailureThrottle, KeepsAtMostMaxKeysDroppingTheLeastRecentlyFailed) {
  FailureThrottle throttle(policy());
  auto now = Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 4; ++i) throttle.record_failure("old", now);
  for (int i = 0; i < 4; ++i) throttle.record_failure("recent", now);
  for (const char* key : {"k1", "k2"}) throttle.record_failure(key, now);
  throttle.record_failure("recent", now);  // now the most recent again
  ASSERT_GT(throttle.wait("old", now), seconds(0));
  throttle.record_failure("k3", now);  // a fifth key: "old" goes
  EXPECT_EQ(throttle.wait("old", now), seconds(0));
  EXPECT_GT(throttle.wait("recent", now), seconds(0));
}

}  // namespace
}  // namespace rendermart
