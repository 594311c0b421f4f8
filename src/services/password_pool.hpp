#pragma once

// Password hashing and verification (Argon2id, about a tenth of a second and 64 MiB each) run
// here, on a few threads of their own with a bounded queue, never on the HTTP threads: a flood
// of logins then costs at most `threads` hashes at a time (and threads x 64 MiB of memory),
// fills the queue, and is refused at once while other requests go on being served.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rendermart {

struct PasswordPoolOptions {
  int threads = 0;              // 0 or less: half the CPU cores, at least one
  std::size_t max_queued = 32;  // tasks waiting for a thread; more are refused
};

class PasswordPool {
 public:
  explicit PasswordPool(PasswordPoolOptions options);
  // Runs the tasks already queued, then joins the threads.
  ~PasswordPool();
  PasswordPool(const PasswordPool&) = delete;
  PasswordPool& operator=(const PasswordPool&) = delete;

  // Queues the task to run on a pool thread; false (and the task is dropped) when the queue is
  // full. Thread-safe. The task must not throw: it reports its own outcome.
  bool try_submit(std::function<void()> task);

  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace rendermart
