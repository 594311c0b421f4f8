#pragma once

// Users as administrators manage them: every account with its usage and limits, limits changed
// per user, accounts disabled and enabled. Callers check that the caller is an administrator.

#include <optional>
#include <string>
#include <vector>

#include "services/quota_service.hpp"
#include "services/session_cache.hpp"
#include "store/store.hpp"

namespace rendermart {

struct UserAccount {
  User user;
  UsageReport usage;
};

// A change of a user's own limits: the fields named in `changed` take their value in `values`
// (nothing: back to the server's default); the others stay as they are.
struct UserLimitsPatch {
  struct Changed {
    bool jobs_in_flight = false;
    bool images_per_day = false;
    bool stored_bytes = false;
    bool requests_per_minute = false;
    bool request_burst = false;
  };
  UserLimits values;
  Changed changed;
};

struct UserPatch {
  UserLimitsPatch limits;
  std::optional<bool> disabled;
};

class UserAdminService {
 public:
  // What changes a user is forgotten in `sessions` at once.
  UserAdminService(Store& store, QuotaService& quotas, SessionCache& sessions);

  // Newest first.
  std::vector<UserAccount> list(const Page& page);
  // Throws not_found.
  UserAccount get(const std::string& user_id);
  // Throws not_found, and invalid_argument when an administrator would disable themselves (no
  // one could enable them again through the API). A disabled user's sessions and keys stop
  // working with their next request.
  UserAccount update(const User& admin, const std::string& user_id, const UserPatch& patch);

 private:
  UserAccount account(User user);

  Store& store_;
  QuotaService& quotas_;
  SessionCache& sessions_;
};

}  // namespace rendermart
