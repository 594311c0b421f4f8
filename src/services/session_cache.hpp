#pragma once

// Signed-in users remembered by session, so that a request signed in with a cookie costs no
// database query. Remembering is only correct while every change to a user or their sessions,
// in any process, is heard (forget_user): the API process turns it on while it hears the
// database's account changes (store/account_changes.hpp) and off, forgetting everything, when it
// may miss some. Off from the start, and for SQLite, which announces nothing.
//
// A user read from the database can be outdated by a change heard while it was being read: put()
// takes the ticket() drawn before the read and keeps nothing when any change was heard since.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/domain.hpp"

namespace rendermart {

class SessionCache {
 public:
  // Each user is read again at least every `ttl`, whatever was heard; at most `capacity`
  // sessions are remembered (all are forgotten when it is reached).
  explicit SessionCache(std::chrono::milliseconds ttl = std::chrono::seconds(60),
                        std::size_t capacity = 10'000);

  // The remembered user of the session whose token has this hash, unless it expired by `now`.
  std::optional<User> find(const std::string& token_hash, Millis now);
  std::uint64_t ticket();
  // Remembers the user the database gave for the session, read after ticket() gave `ticket`.
  void put(std::uint64_t ticket, const std::string& token_hash, const User& user,
           Millis session_expires_at, Millis now);

  void forget_session(const std::string& token_hash);
  void forget_user(const std::string& user_id);
  // On: changes are heard from now on. Off: forgets everything and remembers nothing more.
  void set_on(bool on);

 private:
  struct Entry {
    User user;
    Millis expires_at = 0;  // the session's expiry or the ttl, whichever comes first
  };

  const Millis ttl_;
  const std::size_t capacity_;
  std::mutex mutex_;
  bool on_ = false;
  std::uint64_t changes_ = 0;  // changes heard (and forgettings), for put()'s ticket
  std::unordered_map<std::string, Entry> entries_;  // by token hash
};

}  // namespace rendermart
