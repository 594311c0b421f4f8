#pragma once

// Changes to users and their sessions, made by any process, told to this one: what lets an API
// process remember signed-in users between requests (api's session cache) and still forget them
// the moment another process signs one out, disables them or changes their limits.
//
// PostgreSQL announces every such change itself (triggers on users and sessions, migration 10,
// notifying on commit); this listens to those notifications on a connection of its own. SQLite
// announces nothing: watch_account_changes gives nothing there, and nothing may be remembered.

#include <functional>
#include <memory>
#include <string>

namespace rendermart {

struct AccountChangeHandlers {
  // A user, or one of their sessions, changed or was deleted. On the watcher's thread.
  std::function<void(const std::string& user_id)> changed;
  // Changes are being heard: from now on each one calls `changed`. Also after a loss.
  std::function<void()> listening;
  // Changes may go unheard (the connection dropped) until `listening` again.
  std::function<void()> lost;
};

class AccountChanges {
 public:
  virtual ~AccountChanges() = default;
};

// Watches the database at `database_url` until the result is destroyed; nothing for a database
// that announces no changes (SQLite). Listens before returning when the database answers.
std::unique_ptr<AccountChanges> watch_account_changes(const std::string& database_url,
                                                      const AccountChangeHandlers& handlers);

}  // namespace rendermart
