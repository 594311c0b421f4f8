#include "store/postgres/pg_job_events.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <vector>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart {
namespace {

// How often the listening thread checks for a stop request while no notification arrives: the
// bound on how long destruction waits.
constexpr int kPollIntervalMs = 100;
// Reconnection backoff after the listening connection drops: doubling from the first to the
// last value.
constexpr std::chrono::milliseconds kFirstReconnectDelay{100};
constexpr std::chrono::milliseconds kMaxReconnectDelay{5'000};
// Publishing uses few connections: each NOTIFY is one short statement.
constexpr std::size_t kPublisherPoolSize = 2;
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

PostgresJobEvents::PostgresJobEvents(std::string url)
    : url_(std::move(url)), publisher_(url_, kPublisherPoolSize) {
  thread_ = std::thread([this] { run(); });
  std::unique_lock lock(run_mutex_);
  run_cv_.wait_for(lock, std::chrono::seconds(pg::kConnectTimeoutSeconds),
                   [this] { return listening_.load(); });
}

PostgresJobEvents::~PostgresJobEvents() {
  {
    std::lock_guard lock(run_mutex_);
    stop_ = true;
  }
  run_cv_.notify_all();
  thread_.join();
}

void PostgresJobEvents::notify(const char* channel, const std::string& payload) {
  try {
    auto connection = publisher_.acquire();
    connection->query("SELECT pg_notify($1, $2)", channel, payload);
  } catch (const Error& error) {
    spdlog::warn("job notification on {} dropped: {}", channel, error.what());
  }
}

void PostgresJobEvents::publish(const JobEvent& event) {
  const std::string payload = encode(event);
  if (payload.size() > kMaxPayloadBytes) {
    spdlog::error("job event for {} dropped: {} bytes exceed the NOTIFY limit", event.job_id,
                  payload.size());
    return;
  }
  notify(kEventChannel, payload);
}

void PostgresJobEvents::notify_job_queued() { notify(kQueueChannel, ""); }

JobEvents::Subscription PostgresJobEvents::subscribe(const std::string& job_id, Listener listener) {
  return local_.subscribe(job_id, std::move(listener));
}

JobEvents::Subscription PostgresJobEvents::subscribe_all(Listener listener) {
  return local_.subscribe_all(std::move(listener));
}

void PostgresJobEvents::wait_for_job(std::chrono::milliseconds timeout) { local_.wait(timeout); }

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

void PostgresJobEvents::listen_on(pg::Connection& connection) {
  connection.exec(fmt::format("LISTEN {}; LISTEN {}", kEventChannel, kQueueChannel));
  {
    std::lock_guard lock(run_mutex_);
    listening_ = true;
  }
  run_cv_.notify_all();
  PGconn* conn = connection.native();
  for (;;) {
    {
      std::lock_guard lock(run_mutex_);
      if (stop_) return;
    }
    pollfd fd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    if (fd.fd < 0) return;
    if (poll(&fd, 1, kPollIntervalMs) < 0 && errno != EINTR) return;
    if (PQconsumeInput(conn) == 0) return;  // the connection dropped
    while (PGnotify* notification = PQnotifies(conn)) {
      const std::string channel = notification->relname;
      const std::string payload = notification->extra;
      PQfreemem(notification);
      dispatch(channel, payload);
    }
    if (!connection.healthy()) return;
  }
}

void PostgresJobEvents::run() {
  auto delay = kFirstReconnectDelay;
  bool reconnecting = false;
  for (;;) {
    try {
      pg::Connection connection(url_);
      if (reconnecting) {
        spdlog::info("job notifications: reconnected to PostgreSQL");
        // Notifications sent while disconnected are lost: let waiting workers poll now.
        local_.wake_waiters();
      }
      delay = kFirstReconnectDelay;
      listen_on(connection);
      listening_ = false;
      {
        std::lock_guard lock(run_mutex_);
        if (stop_) return;
      }
      spdlog::warn("job notifications: lost the connection to PostgreSQL; reconnecting");
    } catch (const Error& error) {
      listening_ = false;
      spdlog::warn("job notifications: cannot listen on PostgreSQL ({}); retrying in {} ms",
                   error.what(), delay.count());
    }
    reconnecting = true;
    std::unique_lock lock(run_mutex_);
    if (run_cv_.wait_for(lock, delay, [this] { return stop_; })) return;
    delay = std::min(delay * 2, kMaxReconnectDelay);
  }
}

}  // namespace rendermart
