#include "http/sse_channel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace rendermart::http {
namespace {

TEST(SseChannelTest, TakesEventsInOrder) {
  SseChannel channel;
  channel.push({"progress", "{\"step\":1}", "1"});
  channel.push({"progress", "{\"step\":2}", "2"});
  bool closed = true;
  auto events = channel.take(closed);
  EXPECT_FALSE(closed);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[1].data, "{\"step\":2}");
  EXPECT_TRUE(channel.take(closed).empty());
}

TEST(SseChannelTest, CloseIsReportedAndLaterPushesAreDropped) {
  SseChannel channel;
  channel.push({"", "a", ""});
  channel.close();
  channel.push({"", "late", ""});
  bool closed = false;
  const auto events = channel.take(closed);
  EXPECT_TRUE(closed);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "a");
}

TEST(SseChannelTest, WakerRunsOnPushAndCloseAndForEarlierEvents) {
  SseChannel channel;
  channel.push({"", "before", ""});
  int wakes = 0;
  channel.set_waker([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);  // something was already waiting
  channel.push({"", "x", ""});
  EXPECT_EQ(wakes, 2);
  channel.close();
  EXPECT_EQ(wakes, 3);
  channel.set_waker(nullptr);
  channel.push({"", "y", ""});  // no waker: nothing to call
}

TEST(SseChannelTest, DisconnectHookRunsOnce) {
  SseChannel channel;
  int calls = 0;
  channel.set_on_disconnect([&] { ++calls; });
  channel.disconnected();
  channel.disconnected();
  EXPECT_EQ(calls, 1);
  channel.push({"", "ignored", ""});
  bool closed = false;
  EXPECT_TRUE(channel.take(closed).empty());
}

TEST(SseChannelTest, HookInstalledAfterDisconnectRunsAtOnce) {
  SseChannel channel;
  channel.disconnected();
  bool called = false;
  channel.set_on_disconnect([&] { called = true; });
  EXPECT_TRUE(called);
}

TEST(SseChannelTest, ConcurrentPushesAreAllDelivered) {
  SseChannel channel;
  std::atomic<int> wakes{0};
  channel.set_waker([&] { ++wakes; });
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) channel.push({"", "x", ""});
    });
  }
  std::size_t taken = 0;
  bool closed = false;
  while (taken < kThreads * kEach) taken += channel.take(closed).size();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(taken, static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(wakes.load(), kThreads * kEach);
}

TEST(SseFormatTest, WritesFieldsAndSplitsDataLines) {
  EXPECT_EQ(format_sse({"progress", "{\"a\":1}", "7"}),
            "event: progress\nid: 7\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(format_sse({"", "one\ntwo\r\nthree", ""}), "data: one\ndata: two\ndata: three\n\n");
  EXPECT_EQ(format_sse({"a\nb", "", "1\r2"}), "event: ab\nid: 12\ndata: \n\n");
}

}  // namespace
}  // namespace rendermart::http
