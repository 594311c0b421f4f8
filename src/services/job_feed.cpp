#include "services/job_feed.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/limit_exceeded.hpp"

namespace rendermart {
namespace {

// When a refused stream may try again: another tab of the user closes its stream at any time.
constexpr std::chrono::seconds kFollowRetry{5};

}  // namespace

JobFeed::JobFeed(Store& store, JobEvents& events, JobFeedOptions options)
    : store_(store), options_(options) {
  subscription_ = events.subscribe_all([this](const JobEvent& event) { on_event(event); });
  position_task_ =
      std::make_unique<PeriodicTask>(options_.position_interval, [this] { refresh_positions(); });
}

JobFeed::~JobFeed() = default;

std::pair<JobFeed::Subscription, std::vector<UnfinishedJob>> JobFeed::follow(
    const std::string& user_id, Follower follower) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(state_->mutex);
    auto& user = state_->users[user_id];
    if (std::cmp_greater_equal(user.followers.size(), options_.max_followers_per_user)) {
      throw LimitExceeded(ErrorCode::quota_exceeded,
                          "this account already has " +
                              std::to_string(options_.max_followers_per_user) +
                              " live job streams open: close other RenderMart tabs or windows, "
                              "then reload this one",
                          options_.max_followers_per_user, kFollowRetry);
    }
    id = state_->next_id++;
    user.followers.emplace(id, std::move(follower));
  }
  std::weak_ptr<State> weak = state_;
  Subscription subscription(static_cast<void*>(nullptr), [weak, user_id, id](void*) {
    const auto state = weak.lock();
    if (!state) return;
    std::lock_guard lock(state->mutex);
    const auto user = state->users.find(user_id);
    if (user == state->users.end()) return;
    user->second.followers.erase(id);
    if (user->second.followers.empty()) state->users.erase(user);
  });
  auto jobs = store_.unfinished_jobs(user_id, now_millis());
  const bool queued = std::any_of(jobs.begin(), jobs.end(),
                                  [](const UnfinishedJob& u) { return u.queue_position; });
  {
    std::lock_guard lock(state_->mutex);
    if (queued) state_->users[user_id].may_have_queued = true;
  }
  return {std::move(subscription), std::move(jobs)};
}

std::vector<JobFeed::Follower> JobFeed::followers_of(const std::string& user_id) {
  std::vector<Follower> out;
  std::lock_guard lock(state_->mutex);
  const auto user = state_->users.find(user_id);
  if (user == state_->users.end()) return out;
  for (const auto& [id, follower] : user->second.followers) out.push_back(follower);
  return out;
}

void JobFeed::on_event(const JobEvent& event) {
  // A job queued, started or ended anywhere moves the positions of the jobs queued after it.
  if (event.type == JobEvent::Type::status) queue_moved_ = true;
  // Events of processes older than this feed name no user: nobody's stream can show them.
  if (event.user_id.empty()) return;
  const auto followers = followers_of(event.user_id);
  if (followers.empty()) return;
  if (event.type == JobEvent::Type::progress) {
    for (const auto& follower : followers) follower.on_progress(event);
    return;
  }
  // The event says what changed; the job itself (images, error, position) is read once for
  // all of the user's followers.
  const std::lock_guard order(status_order_);
  UnfinishedJob current;
  try {
    auto job = store_.get_job(event.user_id, event.job_id);
    if (!job) return;  // deleted since
    current.job = std::move(*job);
    if (current.job.status == JobStatus::queued) {
      current.queue_position = store_.queue_position(current.job.id, now_millis());
    }
  } catch (const std::exception& e) {
    spdlog::warn("job stream: cannot read job {}: {}", event.job_id, e.what());
    return;
  }
  if (current.job.status == JobStatus::queued) {
    std::lock_guard lock(state_->mutex);
    const auto user = state_->users.find(event.user_id);
    if (user != state_->users.end()) {
      user->second.may_have_queued = true;
      ++user->second.queued_seen;
    }
  }
  for (const auto& follower : followers) follower.on_status(current);
}

void JobFeed::refresh_positions() {
  if (!queue_moved_.exchange(false)) return;
  std::vector<std::pair<std::string, std::uint64_t>> user_ids;  // with their queued_seen
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& [user_id, user] : state_->users) {
      if (user.may_have_queued) user_ids.emplace_back(user_id, user.queued_seen);
    }
  }
  for (const auto& [user_id, queued_seen] : user_ids) {
    std::vector<QueuePosition> positions;
    try {
      for (const auto& unfinished : store_.unfinished_jobs(user_id, now_millis())) {
        if (unfinished.queue_position) {
          positions.push_back({unfinished.job.id, *unfinished.queue_position});
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("job stream: cannot read queue positions: {}", e.what());
      queue_moved_ = true;  // try again next interval
      continue;
    }
    std::vector<Follower> targets;
    {
      std::lock_guard lock(state_->mutex);
      const auto user = state_->users.find(user_id);
      if (user == state_->users.end()) continue;
      user->second.may_have_queued = !positions.empty() || user->second.queued_seen != queued_seen;
      if (positions == user->second.last_positions) continue;
      user->second.last_positions = positions;
      for (const auto& [id, follower] : user->second.followers) targets.push_back(follower);
    }
    for (const auto& follower : targets) follower.on_positions(positions);
  }
}

}  // namespace rendermart
