// Usage and limits: GET /api/v1/me/usage for every user; /api/v1/admin/users for administrators
// (every account with its usage and limits, limits per user, disable and enable). To anyone else
// the admin paths do not exist.

#include <cstdint>
#include <optional>

#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"

namespace rendermart::api {
namespace {

// Bounds of a limit an administrator may set: at least 1 (0 would shut the user out: disable the
// account instead), and no more than the counters hold.
constexpr std::int64_t kMaxCountLimit = 1'000'000'000;
constexpr std::int64_t kMaxStoredBytes = std::int64_t{1} << 50;  // 1 PiB

User require_admin(ApiContext& context, const http::Request& request) {
  auto user = require_user(context, request);
  if (!user.is_admin) throw Error(ErrorCode::not_found, "no route for " + request.path);
  return user;
}

// {"limit", "resets_at", "used"}; resets_at null where no time resets the count.
void write_count(JsonWriter& w, std::int64_t used, std::int64_t limit,
                 std::optional<Millis> resets_at) {
  w.begin_object();
  w.key("limit");
  w.value(limit);
  w.key("resets_at");
  if (resets_at)
    w.value(format_iso8601(*resets_at));
  else
    w.null();
  w.key("used");
  w.value(used);
  w.end_object();
}

void write_usage(JsonWriter& w, const UsageReport& report) {
  const auto& limits = report.limits;
  const auto& usage = report.usage;
  w.begin_object();
  w.key("images_per_day");
  write_count(w, usage.images_today, limits.images_per_day, report.day_resets_at);
  w.key("jobs_in_flight");
  write_count(w, usage.jobs_in_flight, limits.jobs_in_flight, std::nullopt);
  w.key("requests");
  w.begin_object();
  w.key("burst");
  w.value(limits.request_burst);
  w.key("per_minute");
  w.value(limits.requests_per_minute);
  w.end_object();
  w.key("stored_bytes");
  write_count(w, usage.stored_bytes, limits.stored_bytes, std::nullopt);
  w.end_object();
}

template <typename T>
void write_optional(JsonWriter& w, const std::optional<T>& value) {
  if (value)
    w.value(static_cast<std::int64_t>(*value));
  else
    w.null();
}

void write_account(JsonWriter& w, const UserAccount& account) {
  const auto& user = account.user;
  w.begin_object();
  w.key("created_at");
  w.value(format_iso8601(user.created_at));
  w.key("disabled");
  w.value(user.disabled);
  w.key("email");
  w.value(user.email);
  w.key("id");
  w.value(user.id);
  w.key("is_admin");
  w.value(user.is_admin);
  // The user's own limits; null: the server's default.
  w.key("limits");
  w.begin_object();
  w.key("images_per_day");
  write_optional(w, user.limits.images_per_day);
  w.key("jobs_in_flight");
  write_optional(w, user.limits.jobs_in_flight);
  w.key("request_burst");
  write_optional(w, user.limits.request_burst);
  w.key("requests_per_minute");
  write_optional(w, user.limits.requests_per_minute);
  w.key("stored_bytes");
  write_optional(w, user.limits.stored_bytes);
  w.end_object();
  w.key("usage");
  write_usage(w, account.usage);
  w.end_object();
}

std::string render_accounts(const std::vector<UserAccount>& accounts, int limit) {
  return render_page(accounts, limit, write_account,
                     [](const UserAccount& account) { return account.user.id; });
}

// One limit of a PATCH: absent (unchanged), null (back to the default), or an integer within
// bounds.
template <typename T>
void read_limit(const nlohmann::json& limits, const std::string& name, std::int64_t max,
                bool& changed, std::optional<T>& value) {
  const auto it = limits.find(name);
  if (it == limits.end()) return;
  changed = true;
  if (const auto number = optional_integer(limits, name, 1, max)) value = static_cast<T>(*number);
}

UserPatch parse_user_patch(const http::Request& request) {
  const auto body = parse_object(request, {"disabled", "limits"});
  UserPatch patch;
  patch.disabled = optional_bool(body, "disabled");
  const auto limits = body.find("limits");
  if (limits == body.end() || limits->is_null()) return patch;
  if (!limits->is_object()) throw invalid_argument("limits", "limits must be an object");
  for (const auto& item : limits->items()) {
    const auto& name = item.key();
    if (name != "jobs_in_flight" && name != "images_per_day" && name != "stored_bytes" &&
        name != "requests_per_minute" && name != "request_burst") {
      throw invalid_argument("limits." + name,
                             "unknown limit '" + name +
                                 "': the limits are jobs_in_flight, images_per_day, "
                                 "stored_bytes, requests_per_minute and request_burst");
    }
  }
  auto& changed = patch.limits.changed;
  auto& values = patch.limits.values;
  read_limit(*limits, "jobs_in_flight", kMaxCountLimit, changed.jobs_in_flight,
             values.jobs_in_flight);
  read_limit(*limits, "images_per_day", kMaxCountLimit, changed.images_per_day,
             values.images_per_day);
  read_limit(*limits, "stored_bytes", kMaxStoredBytes, changed.stored_bytes, values.stored_bytes);
  read_limit(*limits, "requests_per_minute", kMaxCountLimit, changed.requests_per_minute,
             values.requests_per_minute);
  read_limit(*limits, "request_burst", kMaxCountLimit, changed.request_burst, values.request_burst);
  return patch;
}

}  // namespace

void add_user_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::GET, "/api/v1/me/usage", [&context](http::Request& request) {
    const auto user = require_user(context, request);
    return json_reply(200, render(context.quotas.usage(user), write_usage));
  });

  router.add(Method::GET, "/api/v1/admin/users", [&context](http::Request& request) {
    require_admin(context, request);
    const Page page{cursor_param(request), limit_param(request)};
    return json_reply(200, render_accounts(context.users.list(page), page.limit));
  });

  router.add(Method::GET, "/api/v1/admin/users/{id}", [&context](http::Request& request) {
    require_admin(context, request);
    return json_reply(200, render(context.users.get(request.param("id")), write_account));
  });

  router.add(Method::PATCH, "/api/v1/admin/users/{id}", [&context](http::Request& request) {
    const auto admin = require_admin(context, request);
    const auto patch = parse_user_patch(request);
    return json_reply(
        200, render(context.users.update(admin, request.param("id"), patch), write_account));
  });
}

}  // namespace rendermart::api
