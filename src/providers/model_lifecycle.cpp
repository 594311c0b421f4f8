#include "providers/model_lifecycle.hpp"

#include <chrono>
#include <cstdio>

#include "core/error.hpp"

namespace rendermart {

Offer offer_for(const Lifecycle& lifecycle, const std::string& today) {
  // Dates are YYYY-MM-DD, so text order is date order.
  if (!lifecycle.shutdown_date.empty() && lifecycle.shutdown_date <= today) return Offer::never;
  if (lifecycle.legacy || !lifecycle.shutdown_date.empty()) return Offer::when_named;
  return Offer::always;
}

std::string utc_today() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day date{days};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::optional<RetiredModel> find_retired(const std::vector<RetiredModel>& table,
                                         const std::string& id) {
  for (const auto& model : table) {
    if (model.id == id) return model;
  }
  return std::nullopt;
}

void throw_retired(const std::string& field, const std::string& setting,
                   const RetiredModel& model) {
  throw invalid_argument(
      field, setting + " names '" + model.id + "', which the service retired on " +
                 model.shutdown_date + ": " +
                 (model.replacement.empty()
                      ? "remove it (the service documents no replacement)"
                      : "use " + model.replacement + " instead, the replacement it documents"));
}

std::string shutdown_warning(const std::string& id, const Lifecycle& lifecycle,
                             const std::string& setting) {
  std::string when = lifecycle.shutdown_date.empty() ? "has no announced shutdown date"
                                                     : "shuts down on " + lifecycle.shutdown_date;
  return "model " + id + " is " + (lifecycle.legacy ? "Legacy" : "deprecated") + " and " + when +
         "; it is offered only because " + setting + " names it: move to a current model";
}

}  // namespace rendermart
