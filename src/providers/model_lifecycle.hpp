#pragma once

// When a cloud service retires a model, and what RenderMart offers because of it. Both cloud
// providers apply the same rule: a model past its shutdown date is never offered; a Legacy model
// or one with a shutdown date still to come is offered only when the configuration names it (and
// then shows its date in GET /api/v1/models, with a warning); any other is offered.

#include <optional>
#include <string>
#include <vector>

namespace rendermart {

// What the service says of one model's end.
struct Lifecycle {
  bool legacy = false;        // Bedrock LEGACY; OpenAI's models carry only a date
  std::string shutdown_date;  // YYYY-MM-DD from which it answers no more; empty: none announced
};

enum class Offer {
  always,      // current: offered whether or not the configuration names it
  when_named,  // Legacy or shutting down: offered only when the configuration names it
  never,       // past its shutdown date
};

// `today` is YYYY-MM-DD (UTC). A model shuts down on its shutdown date, so that day is past it.
Offer offer_for(const Lifecycle& lifecycle, const std::string& today);

// Today's date in UTC, YYYY-MM-DD.
std::string utc_today();

// A model the service has retired, with the replacement it documents (empty: none documented).
struct RetiredModel {
  std::string id;
  std::string shutdown_date;
  std::string replacement;
};

// The retired model of `table` with this id; nothing when it is not there.
std::optional<RetiredModel> find_retired(const std::vector<RetiredModel>& table,
                                         const std::string& id);

// The configuration error for a configured model that is retired: it names the setting, the
// date and the documented replacement. Error(invalid_argument, field `field`).
[[noreturn]] void throw_retired(const std::string& field, const std::string& setting,
                                const RetiredModel& model);

// The log and `providers check` warning for a model offered only because it is named.
std::string shutdown_warning(const std::string& id, const Lifecycle& lifecycle,
                             const std::string& setting);

}  // namespace rendermart
