#pragma once

// Accounts, sessions and API keys. Session tokens and API key secrets are random and are only
// ever stored as SHA-256 hashes; passwords as Argon2id hashes.

#include <chrono>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "store/store.hpp"

namespace rendermart {

struct AccountOptions {
  bool registration_open = true;
  std::chrono::hours session_ttl{24 * 7};
};

struct SignedIn {
  User user;
  std::string session_token;  // goes into the cookie; never stored
};

struct CreatedKey {
  ApiKey key;
  std::string secret;  // shown to the user once
};

class AccountService {
 public:
  AccountService(Store& store, AccountOptions options);

  // Throws invalid_argument (email, password), conflict (email taken), forbidden (closed).
  SignedIn register_user(const std::string& email, const std::string& password);
  // Throws unauthenticated with one message for an unknown e-mail and a wrong password.
  SignedIn login(const std::string& email, const std::string& password);
  void logout(const std::string& session_token);

  // For operators: creates a user regardless of the registration setting.
  User create_user(const std::string& email, const std::string& password, bool is_admin);

  // Credentials to users; nothing for unknown, expired or revoked ones.
  std::optional<User> user_for_session(const std::string& session_token);
  std::optional<User> user_for_api_key(const std::string& secret);

  CreatedKey create_key(const User& user, const std::string& name);
  std::vector<ApiKey> list_keys(const User& user);
  void revoke_key(const User& user, const std::string& key_id);

  const AccountOptions& options() const { return options_; }

 private:
  SignedIn start_session(User user);

  Store& store_;
  AccountOptions options_;
  std::string dummy_hash_;  // verified against for unknown e-mails, so timing reveals nothing
};

}  // namespace rendermart
