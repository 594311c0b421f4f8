#pragma once

#include <string>

#include "store/account_changes.hpp"
#include "store/postgres/pg_listener.hpp"

namespace rendermart {

// The rendermart_accounts notifications of migration 10's triggers (payload: the user's id).
class PostgresAccountChanges : public AccountChanges {
 public:
  inline static constexpr const char* kChannel = "rendermart_accounts";

  PostgresAccountChanges(const std::string& url, const AccountChangeHandlers& handlers);

 private:
  pg::Listener listener_;
};

}  // namespace rendermart
