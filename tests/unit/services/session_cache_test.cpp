#include "services/session_cache.hpp"

#include <gtest/gtest.h>

namespace rendermart {
namespace {

using namespace std::chrono_literals;

constexpr Millis kNow = 1'700'000'000'000;

User user(const std::string& id) { return User{.id = id, .email = id + "@example.com"}; }

TEST(SessionCache, RemembersNothingUntilOn) {
  SessionCache cache;
  cache.put(cache.ticket(), "token", user("alice"), kNow + 10'000, kNow);
  EXPECT_FALSE(cache.find("token", kNow));

  cache.set_on(true);
  cache.put(cache.ticket(), "token", user("alice"), kNow + 10'000, kNow);
  ASSERT_TRUE(cache.find("token", kNow));
  EXPECT_EQ(cache.find("token", kNow)->id, "alice");
}

TEST(SessionCache, ForgetsAtTheSessionsExpiryOrAfterTheTtl) {
  SessionCache cache(60s);
  cache.set_on(true);
  cache.put(cache.ticket(), "short", user("alice"), kNow + 1'000, kNow);
  cache.put(cache.ticket(), "long", user("bob"), kNow + 3'600'000, kNow);
  EXPECT_TRUE(cache.find("short", kNow + 999));
  EXPECT_FALSE(cache.find("short", kNow + 1'000));
  EXPECT_TRUE(cache.find("long", kNow + 59'999));
  EXPECT_FALSE(cache.find("long", kNow + 60'000));
}

TEST(SessionCache, ForgetsASessionOrEveryOneOfAUser) {
  SessionCache cache;
  cache.set_on(true);
  cache.put(cache.ticket(), "a1", user("alice"), kNow + 10'000, kNow);
  cache.put(cache.ticket(), "a2", user("alice"), kNow + 10'000, kNow);
  cache.put(cache.ticket(), "b1", user("bob"), kNow + 10'000, kNow);

  cache.forget_session("a1");
  EXPECT_FALSE(cache.find("a1", kNow));
  EXPECT_TRUE(cache.find("a2", kNow));

  cache.forget_user("alice");
  EXPECT_FALSE(cache.find("a2", kNow));
  EXPECT_TRUE(cache.find("b1", kNow));
}

TEST(SessionCache, AUserReadBeforeAChangeWasHeardIsNotRemembered) {
  SessionCache cache;
  cache.set_on(true);
  const auto ticket = cache.ticket();  // the request starts reading the database
  cache.forget_user("alice");          // meanwhile another process disables alice
  cache.put(ticket, "a1", user("alice"), kNow + 10'000, kNow);
  EXPECT_FALSE(cache.find("a1", kNow));
}

TEST(SessionCache, TurningOffForgetsEverything) {
  SessionCache cache;
  cache.set_on(true);
  cache.put(cache.ticket(), "a1", user("alice"), kNow + 10'000, kNow);
  const auto ticket = cache.ticket();
  cache.set_on(false);
  EXPECT_FALSE(cache.find("a1", kNow));
  cache.set_on(true);
  cache.put(ticket, "a1", user("alice"), kNow + 10'000, kNow);  // read while it was off
  EXPECT_FALSE(cache.find("a1", kNow));
}

TEST(SessionCache, StaysWithinItsCapacity) {
  SessionCache cache(60s, 2);
  cache.set_on(true);
  cache.put(cache.ticket(), "a", user("a"), kNow + 10'000, kNow);
  cache.put(cache.ticket(), "b", user("b"), kNow + 10'000, kNow);
  cache.put(cache.ticket(), "c", user("c"), kNow + 10'000, kNow);
  EXPECT_TRUE(cache.find("c", kNow));
  EXPECT_FALSE(cache.find("a", kNow));
}

}  // namespace
}  // namespace rendermart
