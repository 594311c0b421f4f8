// A deferred response as transports without an event loop use it: waiting with a timeout, and
// the producer's answer when the transport's deadline comes.

#include <gtest/gtest.h>

#include <thread>

#include "http/message.hpp"

namespace rendermart::http {
namespace {

Response answer(unsigned status) {
  Response response;
  response.status = status;
  return response;
}

TEST(DeferredResponse, WaitingGivesTheResolvedAnswerOrNothingAfterTheTimeout) {
  DeferredResponse deferred;
  EXPECT_FALSE(deferred.wait_for(std::chrono::milliseconds(10)));
  std::thread producer([&] { deferred.resolve([] { return answer(200); }); });
  const auto response = deferred.wait_for(std::chrono::seconds(10));
  producer.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200U);
}

TEST(DeferredResponse, AtTheDeadlineTheProducersHookAnswersOnce) {
  DeferredResponse deferred;
  int runs = 0;
  deferred.set_on_deadline([&] {
    ++runs;
    return answer(503);
  });
  const auto response = deferred.at_deadline();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503U);
  EXPECT_FALSE(deferred.at_deadline()) << "the hook runs once";
  EXPECT_EQ(runs, 1);
}

TEST(DeferredResponse, WithoutAHookTheDeadlineHasNoAnswer) {
  DeferredResponse deferred;
  EXPECT_FALSE(deferred.at_deadline());
}

}  // namespace
}  // namespace rendermart::http
