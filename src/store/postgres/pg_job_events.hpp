#pragma once

// Job notifications across processes with PostgreSQL LISTEN/NOTIFY.
//
// publish() sends NOTIFY rendermart_job_events with the event as compact JSON; notify_job_queued()
// sends NOTIFY rendermart_queue. Neither waits for the database: a publishing thread sends them
// in order, so that a worker's events cost it no round trip of its own. A background thread holds
// its own connection, LISTENs on both channels (pg::Listener), and hands each notification to this
// process's subscribers (the semantics of InProcessJobEvents, except that listeners run on that
// thread, not the publisher's) or wakes wait_for_job. An event published here reaches local
// subscribers the same way as everyone else's, through the server, and so exactly once.
// Notifications sent while the listening connection is down are lost, so waiting workers are woken
// on reconnection to poll the queue themselves.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/job_events.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_listener.hpp"

namespace rendermart {

class PostgresJobEvents : public JobEvents {
 public:
  inline static constexpr const char* kEventChannel = "rendermart_job_events";
  inline static constexpr const char* kQueueChannel = "rendermart_queue";

  // Listens before returning, as pg::Listener does.
  explicit PostgresJobEvents(const std::string& url);
  // Sends what is still waiting to be sent first.
  ~PostgresJobEvents() override;
  PostgresJobEvents(const PostgresJobEvents&) = delete;
  PostgresJobEvents& operator=(const PostgresJobEvents&) = delete;

  // Best effort: if the database cannot be reached, or kMaxWaitingNotifications are already
  // waiting, the event is dropped and logged, since the durable state is in the Store and a job
  // must not fail (nor wait) for want of a notification.
  void publish(const JobEvent& event) override;
  Subscription subscribe(const std::string& job_id, Listener listener) override;
  Subscription subscribe_all(Listener listener) override;
  void notify_job_queued() override;
  std::uint64_t jobs_queued_heard() override;
  void wait_for_job(std::uint64_t heard, std::chrono::milliseconds timeout) override;

  // True while the listening connection is up (for tests and health reporting).
  bool listening() const { return listener_.listening(); }

 private:
  struct Notification {
    const char* channel;
    std::string payload;
  };

  void dispatch(const std::string& channel, const std::string& payload);
  void notify(const char* channel, std::string payload);
  // The publishing thread: sends what waits, until stopped with nothing left.
  void send_waiting();

  pg::Pool publisher_;
  std::mutex waiting_mutex_;
  std::condition_variable waiting_cv_;  // something to send, or stop
  std::deque<Notification> waiting_;
  bool stop_ = false;
  std::thread sender_;    // after what it uses; joined by the destructor
  LocalJobEvents local_;  // this process's listeners and waiting workers
  // Last: its thread delivers to local_ from construction until it is destroyed, first.
  pg::Listener listener_;
};

}  // namespace rendermart
