#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>

#include "services/password_pool.hpp"

namespace rendermart {
namespace {

TEST(PasswordPool, RunsTasksOnItsThreads) {
  PasswordPool pool({.threads = 2, .max_queued = 8});
  EXPECT_EQ(pool.threads(), 2);
  std::promise<std::thread::id> ran;
  ASSERT_TRUE(pool.try_submit([&ran] { ran.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(ran.get_future().get(), std::this_thread::get_id());
}

TEST(PasswordPool, RefusesAtOnceWhenTheQueueIsFull) {
  // Declared before the pool: its destructor runs the queued tasks, which use them.
  std::latch started(1);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> done{0};
  PasswordPool pool({.threads = 1, .max_queued = 2});
  ASSERT_TRUE(pool.try_submit([&started, released] {
    started.count_down();
    released.wait();
  }));
  started.wait();  // the one thread is busy: what follows queues
  EXPECT_TRUE(pool.try_submit([&done] { ++done; }));
  EXPECT_TRUE(pool.try_submit([&done] { ++done; }));
  EXPECT_FALSE(pool.try_submit([&done] { ++done; })) << "a third waiting task is refused";
  release.set_value();
  // The pool's destructor runs what was queued before joining.
}

TEST(PasswordPool, DestructionRunsQueuedTasks) {
  std::atomic<int> done{0};
  {
    PasswordPool pool({.threads = 1, .max_queued = 16});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.try_submit([&done] { ++done; }));
  }
  EXPECT_EQ(done.load(), 10);
}

TEST(PasswordPool, DefaultsToHalfTheCoresAtLeastOne) {
  PasswordPool pool({});
  EXPECT_EQ(pool.threads(),
            static_cast<int>(std::max(1U, std::thread::hardware_concurrency() / 2)));
}

}  // namespace
}  // namespace rendermart
