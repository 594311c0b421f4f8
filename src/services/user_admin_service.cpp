#include "services/user_admin_service.hpp"

#include "core/error.hpp"

namespace rendermart {
namespace {

UserLimits patched(UserLimits limits, const UserLimitsPatch& patch) {
  const auto& changed = patch.changed;
  const auto& values = patch.values;
  if (changed.jobs_in_flight) limits.jobs_in_flight = values.jobs_in_flight;
  if (changed.images_per_day) limits.images_per_day = values.images_per_day;
  if (changed.stored_bytes) limits.stored_bytes = values.stored_bytes;
  if (changed.requests_per_minute) limits.requests_per_minute = values.requests_per_minute;
  if (changed.request_burst) limits.request_burst = values.request_burst;
  return limits;
}

}  // namespace

UserAdminService::UserAdminService(Store& store, QuotaService& quotas, SessionCache& sessions)
    : store_(store), quotas_(quotas), sessions_(sessions) {}

UserAccount UserAdminService::account(User user) {
  const auto usage = quotas_.usage(user);
  return UserAccount{std::move(user), usage};
}

std::vector<UserAccount> UserAdminService::list(const Page& page) {
  std::vector<UserAccount> accounts;
  for (auto& user : store_.list_users(page)) accounts.push_back(account(std::move(user)));
  return accounts;
}

UserAccount UserAdminService::get(const std::string& user_id) {
  auto user = store_.find_user(user_id);
  if (!user) throw not_found("user");
  return account(std::move(*user));
}

UserAccount UserAdminService::update(const User& admin, const std::string& user_id,
                                     const UserPatch& patch) {
  if (patch.disabled.value_or(false) && user_id == admin.id) {
    throw invalid_argument("disabled", "you cannot disable your own account");
  }
  auto user = store_.find_user(user_id);
  if (!user) throw not_found("user");
  user = store_.set_user_limits(user_id, patched(user->limits, patch.limits));
  if (user && patch.disabled) user = store_.set_user_disabled(user_id, *patch.disabled);
  sessions_.forget_user(user_id);
  if (!user) throw not_found("user");
  return account(std::move(*user));
}

}  // namespace rendermart
