#include "store/postgres/pg_account_changes.hpp"

namespace rendermart {

PostgresAccountChanges::PostgresAccountChanges(const std::string& url,
                                               const AccountChangeHandlers& handlers)
    : listener_(url, {kChannel}, "account changes",
                {.notification = [changed = handlers.changed](
                                     const std::string&,
                                     const std::string& user_id) { changed(user_id); },
                 .lost = handlers.lost,
                 .listening = handlers.listening}) {}

}  // namespace rendermart
