#include "store/postgres/pg_job_events.hpp"

#include <cmath>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart {
namespace {

// One publishing thread, one connection.
constexpr std::size_t kPublisherPoolSize = 1;
// Notifications waiting for the publishing thread, beyond which new ones are dropped: only a
// database that stopped answering lets them pile up (previews make an event up to
// kMaxPreviewBytes: this bounds the memory to a few megabytes).
constexpr std::size_t kMaxWaitingNotifications = 1000;
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. An event is a job id, a few numbers
// and at most a small preview (kMaxPreviewBytes); anything near this is a bug upstream and is
// dropped rather than sent.
constexpr std::size_t kMaxPayloadBytes = 7'999;

// JSON has no NaN or infinity; a worker reporting one sends 0 rather than an undecodable event.
std::string encode(const JobEvent& event) {
  const double progress = std::isfinite(event.progress) ? event.progress : 0;
  nlohmann::json json = {{"job_id", event.job_id},
                         {"user_id", event.user_id},
                         {"type", event.type == JobEvent::Type::progress ? "progress" : "status"},
                         {"progress", progress},
                         {"status", to_string(event.status)},
                         {"stage", to_string(event.stage)}};
  if (!event.preview.empty()) json["preview"] = event.preview;
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<JobEvent> decode(const std::string& payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  const auto job_id = json.find("job_id");
  const auto type = json.find("type");
  const auto progress = json.find("progress");
  const auto status = json.find("status");
  if (job_id == json.end() || !job_id->is_string() || type == json.end() || !type->is_string() ||
      progress == json.end() || !progress->is_number() || status == json.end() ||
      !status->is_string()) {
    return std::nullopt;
  }
  const auto parsed_status = job_status_from_string(status->get<std::string>());
  const auto type_text = type->get<std::string>();
  if (!parsed_status || (type_text != "progress" && type_text != "status")) return std::nullopt;
  JobEvent event;
  event.job_id = job_id->get<std::string>();
  // Absent from the events of processes older than the streams of users' jobs.
  if (const auto user_id = json.find("user_id"); user_id != json.end() && user_id->is_string()) {
    event.user_id = user_id->get<std::string>();
  }
  event.type = type_text == "progress" ? JobEvent::Type::progress : JobEvent::Type::status;
  event.progress = progress->get<double>();
  event.status = *parsed_status;
  if (const auto preview = json.find("preview"); preview != json.end() && preview->is_string()) {
    event.preview = preview->get<std::string>();
  }
  // Absent from the events of processes older than stages: they were generating.
  if (const auto stage = json.find("stage"); stage != json.end() && stage->is_string()) {
    event.stage = job_stage_from_string(stage->get<std::string>()).value_or(JobStage::generating);
  }
  return event;
}

}  // namespace

PostgresJobEvents::PostgresJobEvents(const std::string& url)
    : publisher_(url, kPublisherPoolSize),
      sender_([this] { send_waiting(); }),
      listener_(url, {kEventChannel, kQueueChannel}, "job notifications",
                {.notification = [this](const std::string& channel,
                                        const std::string& payload) { dispatch(channel, payload); },
                 .lost = [] {},
                 // Notifications sent while disconnected are lost: waiting workers poll now.
                 .listening = [this] { local_.wake_waiters(); }}) {}

PostgresJobEvents::~PostgresJobEvents() {
  {
    std::lock_guard lock(waiting_mutex_);
    stop_ = true;
  }
  waiting_cv_.notify_one();
  sender_.join();
}

void PostgresJobEvents::notify(const char* channel, std::string payload) {
  {
    std::lock_guard lock(waiting_mutex_);
    if (waiting_.size() >= kMaxWaitingNotifications) {
      spdlog::warn("job notification on {} dropped: {} are waiting for the database", channel,
                   waiting_.size());
      return;
    }
    waiting_.push_back({channel, std::move(payload)});
  }
  waiting_cv_.notify_one();
}

// Each notification is its own transaction: PostgreSQL delivers only one of identical
// notifications sent in one transaction, and a job's events may repeat (running, queued for a
// retry, running again).
void PostgresJobEvents::send_waiting() {
  std::unique_lock lock(waiting_mutex_);
  while (true) {
    waiting_cv_.wait(lock, [this] { return stop_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopped, nothing left
    const Notification notification = std::move(waiting_.front());
    waiting_.pop_front();
    lock.unlock();
    try {
      auto connection = publisher_.acquire();
      connection->query("SELECT pg_notify($1, $2)", notification.channel, notification.payload);
    } catch (const std::exception& error) {
      spdlog::warn("job notification on {} dropped: {}", notification.channel, error.what());
    }
    lock.lock();
  }
}

void PostgresJobEvents::publish(const JobEvent& event) {
  std::string payload = encode(event);
  if (payload.size() > kMaxPayloadBytes) {
    spdlog::error("job event for {} dropped: {} bytes exceed the NOTIFY limit", event.job_id,
                  payload.size());
    return;
  }
  notify(kEventChannel, std::move(payload));
}

void PostgresJobEvents::notify_job_queued() { notify(kQueueChannel, ""); }

JobEvents::Subscription PostgresJobEvents::subscribe(const std::string& job_id, Listener listener) {
  return local_.subscribe(job_id, std::move(listener));
}

JobEvents::Subscription PostgresJobEvents::subscribe_all(Listener listener) {
  return local_.subscribe_all(std::move(listener));
}

std::uint64_t PostgresJobEvents::jobs_queued_heard() { return local_.wake_count(); }

void PostgresJobEvents::wait_for_job(std::uint64_t heard, std::chrono::milliseconds timeout) {
  local_.wait(heard, timeout);
}

void PostgresJobEvents::dispatch(const std::string& channel, const std::string& payload) {
  if (channel == kQueueChannel) {
    local_.wake_waiters();
    return;
  }
  const auto event = decode(payload);
  if (!event) {
    spdlog::warn("ignored a malformed job notification: {}", payload);
    return;
  }
  local_.deliver(*event);
}

}  // namespace rendermart
