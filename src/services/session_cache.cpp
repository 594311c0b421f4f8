#include "services/session_cache.hpp"

#include <algorithm>

namespace rendermart {

SessionCache::SessionCache(std::chrono::milliseconds ttl, std::size_t capacity)
    : ttl_(ttl.count()), capacity_(capacity) {}

std::optional<User> SessionCache::find(const std::string& token_hash, Millis now) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(token_hash);
  if (entry == entries_.end()) return std::nullopt;
  if (entry->second.expires_at <= now) {
    entries_.erase(entry);
    return std::nullopt;
  }
  return entry->second.user;
}

std::uint64_t SessionCache::ticket() {
  std::lock_guard lock(mutex_);
  return changes_;
}

void SessionCache::put(std::uint64_t ticket, const std::string& token_hash, const User& user,
                       Millis session_expires_at, Millis now) {
  std::lock_guard lock(mutex_);
  if (!on_ || ticket != changes_) return;
  if (entries_.size() >= capacity_) entries_.clear();
  entries_[token_hash] = Entry{user, std::min(session_expires_at, now + ttl_)};
}

void SessionCache::forget_session(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  ++changes_;
  entries_.erase(token_hash);
}

void SessionCache::forget_user(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  ++changes_;
  std::erase_if(entries_, [&](const auto& entry) { return entry.second.user.id == user_id; });
}

void SessionCache::set_on(bool on) {
  std::lock_guard lock(mutex_);
  on_ = on;
  ++changes_;
  entries_.clear();
}

}  // namespace rendermart
