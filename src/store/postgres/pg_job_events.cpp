#include "store/postgres/pg_job_events.hpp"

#include <cmath>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart {
namespace {

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

PostgresJobEvents::PostgresJobEvents(const std::string& url)
    : publisher_(url, kPublisherPoolSize),
      listener_(url, {kEventChannel, kQueueChannel}, "job notifications",
                {.notification = [this](const std::string& channel,
                                        const std::string& payload) { dispatch(channel, payload); },
                 .lost = [] {},
                 // Notifications sent while disconnected are lost: waiting workers poll now.
                 .listening = [this] { local_.wake_waiters(); }}) {}

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

}  // namespace rendermart
