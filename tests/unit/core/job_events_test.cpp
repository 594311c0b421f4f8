#include "core/job_events.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace rendermart {
namespace {

JobEvent status_event(const std::string& job_id, const std::string& user_id) {
  return JobEvent{.type = JobEvent::Type::status, .job_id = job_id, .user_id = user_id};
}

TEST(InProcessJobEvents, ListenersOfEveryJobHearAllJobsAndListenersOfOneJobOnlyIt) {
  InProcessJobEvents events;
  std::vector<std::string> every;
  std::vector<std::string> one;
  auto all = events.subscribe_all([&](const JobEvent& e) { every.push_back(e.job_id); });
  auto just_a = events.subscribe("a", [&](const JobEvent& e) { one.push_back(e.job_id); });

  events.publish(status_event("a", "alice"));
  events.publish(status_event("b", "bob"));
  EXPECT_EQ(every, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(one, (std::vector<std::string>{"a"}));

  all.reset();
  events.publish(status_event("a", "alice"));
  EXPECT_EQ(every.size(), 2U);
  EXPECT_EQ(one.size(), 2U);
}

TEST(InProcessJobEvents, EventsCarryTheirOwner) {
  InProcessJobEvents events;
  std::string owner;
  auto all = events.subscribe_all([&](const JobEvent& e) { owner = e.user_id; });
  events.publish(status_event("a", "alice"));
  EXPECT_EQ(owner, "alice");
}

// A worker reads the count before it looks at the queue: a job queued after it found the queue
// empty, but before it began to wait, must not leave it waiting for its next poll.
TEST(InProcessJobEvents, AJobQueuedBeforeTheWorkerWaitsWakesItAtOnce) {
  constexpr auto kPoll = std::chrono::seconds(20);
  InProcessJobEvents events;
  const auto heard = events.jobs_queued_heard();
  events.notify_job_queued();
  const auto start = std::chrono::steady_clock::now();
  events.wait_for_job(heard, kPoll);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kPoll / 2);
  EXPECT_EQ(events.jobs_queued_heard(), heard + 1);
}

}  // namespace
}  // namespace rendermart
