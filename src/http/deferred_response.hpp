#pragma once

// A response that a handler cannot give at once (it waits for a generation job to finish): the
// handler returns a Response whose `deferred` is set, and a producer on any thread later resolves
// it with a function that makes the real response. The server runs that function on one of its
// own threads (it may read from storage) and writes what it returns; meanwhile no server thread
// is blocked.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

namespace rendermart::http {

struct Response;

class DeferredResponse {
 public:
  using Finish = std::function<Response()>;

  // Thread-safe; only the first call counts.
  void resolve(Finish finish);

  // Called by the server. The waker is called (from the resolving thread) once the response is
  // resolved, at once if it already is; it must be cheap and thread-safe.
  void set_waker(std::function<void()> waker);
  // The finish function once resolved (then never again); nothing before.
  std::optional<Finish> take();

  // A check the server runs while it waits, every idle period (on a server thread): a producer
  // that resolves on notifications uses it to look again, so that a lost notification delays
  // the response instead of leaving it waiting forever.
  void set_poll(std::function<void()> poll);
  void poll();

  // For transports without an event loop (the Lambda runtime): waits up to `timeout` to be
  // resolved, then makes the response on the calling thread; nothing when still unresolved.
  std::optional<Response> wait_for(std::chrono::milliseconds timeout);

  // The server gives up waiting (it is stopping): the hook runs once, so that the producer can
  // let go of what it holds. A hook installed after that runs at once.
  void set_on_abandon(std::function<void()> hook);
  void abandon();

  // For transports with a deadline (the Lambda runtime): the deadline came, nobody waits any
  // longer and nothing will carry on the work this response waits for. The producer's hook
  // stops that work and makes the answer; nothing when there is no hook. Runs the hook once.
  void set_on_deadline(Finish hook);
  std::optional<Response> at_deadline();

 private:
  std::mutex mutex_;
  std::condition_variable resolved_cv_;
  std::optional<Finish> finish_;
  bool taken_ = false;
  std::function<void()> waker_;
  std::function<void()> poll_;
  std::function<void()> on_abandon_;
  Finish on_deadline_;
  bool abandoned_ = false;
};

}  // namespace rendermart::http
