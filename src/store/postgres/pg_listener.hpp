#pragma once

// PostgreSQL LISTEN on a connection and a thread of its own.
//
// The thread LISTENs on the given channels and hands each notification to a handler. When the
// connection drops (a PostgreSQL restart, a network failure) it reconnects with backoff;
// notifications sent meanwhile are lost, which the handlers are told (lost, then listening
// again) so that their owners can stop trusting what the notifications kept current.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rendermart::pg {

class Connection;

class Listener {
 public:
  struct Handlers {
    // Each notification, on the listener's thread.
    std::function<void(const std::string& channel, const std::string& payload)> notification;
    // The connection was lost: notifications are missed until `listening` again.
    std::function<void()> lost;
    // Listening: every notification sent from now on is handed over. First at the start, then
    // after each loss.
    std::function<void()> listening;
  };

  // Starts the thread and waits (up to the connect timeout) until it listens, so that
  // notifications sent after construction are not missed. If PostgreSQL is unreachable, the
  // thread keeps retrying in the background and the constructor returns anyway. `what` names the
  // notifications in the log.
  Listener(std::string url, std::vector<std::string> channels, std::string what, Handlers handlers);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // True while the listening connection is up.
  bool listening() const { return listening_; }

 private:
  void run();
  // Listens on one connection until it drops or stop is requested.
  void listen_on(Connection& connection);

  const std::string url_;
  const std::vector<std::string> channels_;
  const std::string what_;
  const Handlers handlers_;

  std::mutex run_mutex_;
  std::condition_variable run_cv_;  // stop requested, or listening started
  bool stop_ = false;
  std::atomic<bool> listening_ = false;
  std::thread thread_;
};

}  // namespace rendermart::pg
