#include "services/quota_service.hpp"

#include <fmt/format.h>

#include <optional>

#include "core/ids.hpp"
#include "core/iso_time.hpp"
#include "core/limit_exceeded.hpp"

namespace rendermart {
namespace {

// When a user at the jobs-in-flight limit may try again: one of their generations has to
// finish first, which takes seconds with the models served here. A hint, not a promise.
constexpr std::chrono::seconds kJobsInFlightRetry{10};

std::string format_bytes(std::int64_t bytes) {
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  constexpr double kMiB = 1024.0 * 1024;
  if (bytes >= (std::int64_t{1} << 30)) return fmt::format("{:.1f} GiB", bytes / kGiB);
  return fmt::format("{:.1f} MiB", bytes / kMiB);
}

std::chrono::seconds seconds_until(Millis when, Millis now) {
  return std::chrono::seconds((when - now + 999) / 1000);
}

// The refusal for the first limit the job would break, or nothing.
std::optional<LimitExceeded> refusal(const Limits& limits, const Usage& usage, const Job& job,
                                     Millis now) {
  if (usage.jobs_in_flight >= limits.jobs_in_flight) {
    return LimitExceeded(
        ErrorCode::quota_exceeded,
        fmt::format("you have {} generations queued or running, your limit of jobs in flight: "
                    "wait until one finishes (or cancel one), then try again",
                    usage.jobs_in_flight),
        limits.jobs_in_flight, kJobsInFlightRetry);
  }
  if (usage.stored_bytes >= limits.stored_bytes) {
    return LimitExceeded(
        ErrorCode::quota_exceeded,
        fmt::format("your images take {} of your {} of stored bytes: delete images to make room",
                    format_bytes(usage.stored_bytes), format_bytes(limits.stored_bytes)),
        limits.stored_bytes, std::chrono::seconds{0});
  }
  if (usage.images_today + job.params.count > limits.images_per_day) {
    const auto resets_at = utc_day_end(now);
    return LimitExceeded(
        ErrorCode::quota_exceeded,
        fmt::format("{} more images would take you over your limit of {} images per day ({} "
                    "used today, UTC); the count starts again at {}",
                    job.params.count, limits.images_per_day, usage.images_today,
                    format_iso8601(resets_at)),
        limits.images_per_day, seconds_until(resets_at, now));
  }
  return std::nullopt;
}

}  // namespace

QuotaService::QuotaService(Store& store, Limits defaults) : store_(store), defaults_(defaults) {}

void QuotaService::check_request(const User& user) {
  std::call_once(rate_sharing_started_, [this] {
    rate_exchange_ = std::make_unique<RequestRateExchange>(store_, rates_,
                                                           RequestRateExchange::kDefaultInterval);
  });
  const auto limits = effective_limits(defaults_, user.limits);
  const auto decision =
      rates_.take(user.id, limits.requests_per_minute, limits.request_burst, now_micros());
  if (decision.allowed) return;
  throw LimitExceeded(
      ErrorCode::rate_limited,
      fmt::format("too many requests: your limit is {} a minute, in bursts of up "
                  "to {}; try again in {} s",
                  limits.requests_per_minute, limits.request_burst, decision.retry_after.count()),
      limits.requests_per_minute, decision.retry_after);
}

void QuotaService::enqueue(const User& user, const Job& job) {
  const auto limits = effective_limits(defaults_, user.limits);
  const auto now = now_millis();
  std::optional<LimitExceeded> refused;
  const bool queued = store_.enqueue_job_within(job, utc_day_start(now), [&](const Usage& usage) {
    refused = refusal(limits, usage, job, now);
    return !refused;
  });
  if (!queued) throw *refused;
}

void QuotaService::add_upload(const User& user, const Job& job, const Image& image) {
  const auto limits = effective_limits(defaults_, user.limits);
  const auto now = now_millis();
  const auto bytes = image.bytes + image.thumbnail_bytes;
  std::optional<LimitExceeded> refused;
  const bool filed = store_.add_upload(job, image, utc_day_start(now), [&](const Usage& usage) {
    if (usage.stored_bytes + bytes <= limits.stored_bytes) return true;
    refused = LimitExceeded(
        ErrorCode::quota_exceeded,
        fmt::format("this picture needs {} and your images take {} of your {} of stored bytes: "
                    "delete images to make room",
                    format_bytes(bytes), format_bytes(usage.stored_bytes),
                    format_bytes(limits.stored_bytes)),
        limits.stored_bytes, std::chrono::seconds{0});
    return false;
  });
  if (!filed) throw *refused;
}

UsageReport QuotaService::usage(const User& user) {
  const auto now = now_millis();
  return UsageReport{effective_limits(defaults_, user.limits),
                     store_.usage(user.id, utc_day_start(now)), utc_day_end(now)};
}

}  // namespace rendermart
