#pragma once

// What the stream of all of a user's jobs is fed: one listener on every job event this process
// hears (in memory, or from every process through PostgreSQL LISTEN/NOTIFY), fanned out to the
// followers of the job's owner, and the queue positions of their queued jobs, which move when any
// user's job is queued, starts or ends. Positions are read at most once per interval (one query
// per followed user that may have jobs queued), not once per event or per follower, so that a
// busy queue costs the database a bounded rate of queries however many tabs are open.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/job_events.hpp"
#include "core/periodic_task.hpp"
#include "store/store.hpp"

namespace rendermart {

struct QueuePosition {
  std::string job_id;
  int position = 0;
  bool operator==(const QueuePosition&) const = default;
};

struct JobFeedOptions {
  // Live streams one user may hold in one API process: a browser tab holds one, so this is many
  // tabs; each stream holds a connection and a listener, so the number is bounded.
  int max_followers_per_user = 10;
  // How often queue positions are read again after the queue moved: the delay a user sees
  // before a position changes, against one query per followed user per interval.
  std::chrono::milliseconds position_interval{250};
};

class JobFeed {
 public:
  // Each callback runs on the thread that delivers job events, or on the feed's own thread for
  // positions; it must be quick and must not call the feed.
  struct Follower {
    // A job of the user was queued or changed status: as it is now, with its queue position.
    std::function<void(const UnfinishedJob&)> on_status;
    std::function<void(const JobEvent&)> on_progress;  // a running job of the user progressed
    // The positions of all of the user's queued jobs, after they moved.
    std::function<void(const std::vector<QueuePosition>&)> on_positions;
  };
  using Subscription = std::shared_ptr<void>;

  JobFeed(Store& store, JobEvents& events, JobFeedOptions options = {});
  ~JobFeed();
  JobFeed(const JobFeed&) = delete;
  JobFeed& operator=(const JobFeed&) = delete;

  // Thread-safe. Follows the user's jobs until the subscription is released, and returns the
  // user's unfinished jobs as they are now (read after subscribing, so that no change falls
  // between the two). Throws quota_exceeded when the user already has the most followers.
  std::pair<Subscription, std::vector<UnfinishedJob>> follow(const std::string& user_id,
                                                             Follower follower);

 private:
  struct UserFollowers {
    std::map<std::uint64_t, Follower> followers;
    // Whether the user may have jobs queued: positions are only read for such users.
    bool may_have_queued = false;
    // Counts the user's jobs seen queued, so that a read of positions that finds none queued
    // does not overrule a job queued meanwhile.
    std::uint64_t queued_seen = 0;
    std::vector<QueuePosition> last_positions;
  };

  // Shared with the subscriptions, which may outlive the feed harmlessly.
  struct State {
    std::mutex mutex;
    std::map<std::string, UserFollowers> users;
    std::uint64_t next_id = 0;
  };

  void on_event(const JobEvent& event);
  void refresh_positions();
  std::vector<Follower> followers_of(const std::string& user_id);

  Store& store_;
  const JobFeedOptions options_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  // Status events are read and handed on one at a time. In memory they arrive on the threads
  // that publish them (a worker's and an API request's at once), and a job read before a change
  // must not reach followers after it was read changed: a status never goes back.
  std::mutex status_order_;
  std::atomic<bool> queue_moved_ = false;
  JobEvents::Subscription subscription_;
  std::unique_ptr<PeriodicTask> position_task_;  // last: stopped first
};

}  // namespace rendermart
