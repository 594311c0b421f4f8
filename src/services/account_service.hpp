#pragma once

// Accounts, sessions and API keys. Session tokens and API key secrets are random and are only
// ever stored as SHA-256 hashes; passwords as Argon2id hashes.

#include <chrono>
#include <string>
#include <vector>

#include "core/domain.hpp"
#include "services/failure_throttle.hpp"
#include "services/session_cache.hpp"
#include "store/store.hpp"

namespace rendermart {

// Who may register: anyone, no one (operators create users), or holders of an invitation.
enum class Registration { open, closed, invite };

struct AccountOptions {
  Registration registration = Registration::open;
  std::chrono::hours session_ttl{24 * 7};
  std::chrono::hours invitation_ttl{24 * 7};
  // Wrong passwords per account and per client address; sign-ups (every attempt) per address.
  ThrottlePolicy login_throttle;
  ThrottlePolicy signup_throttle;
};

struct SignedIn {
  User user;
  std::string session_token;  // goes into the cookie; never stored
};

struct CreatedInvitation {
  Invitation invitation;
  std::string code;  // shown to the administrator once
};

struct CreatedKey {
  ApiKey key;
  std::string secret;  // shown to the user once
};

class AccountService {
 public:
  // Signed-in users are remembered in `sessions` while it is on.
  AccountService(Store& store, SessionCache& sessions, AccountOptions options);

  // The cheap checks that come before any password work, for the caller to run before handing
  // that work to the PasswordPool: throw rate_limited (with retry_after) while the client
  // address (or, for login, the account) must wait, forbidden while registration is closed.
  void check_registration_allowed(const std::string& client_address);
  void check_login_allowed(const std::string& email, const std::string& client_address);

  // Hash passwords: run them on the PasswordPool. The checks above are made again.
  // register_user throws invalid_argument (email, password), conflict (email taken), forbidden
  // (closed, or field "invite": a missing, used or expired invitation code while registration
  // is "invite"). Every attempt counts against the client address.
  SignedIn register_user(const std::string& email, const std::string& password,
                         const std::string& invite_code, const std::string& client_address);
  // Throws unauthenticated with one message for an unknown e-mail and a wrong password; a
  // failure counts against the account and the client address, a success resets both. Purges
  // expired sessions.
  SignedIn login(const std::string& email, const std::string& password,
                 const std::string& client_address);
  void logout(const std::string& session_token);

  // Needs the current password (invalid_argument, field "current_password", otherwise); every
  // other session of the user ends, the one with `session_token` (may be empty) and the API keys
  // stay. Hashes: run on the PasswordPool.
  void change_password(const User& user, const std::string& session_token,
                       const std::string& current_password, const std::string& new_password);
  // Ends every session of the user, the caller's too. API keys stay: they are revoked one by one.
  void sign_out_everywhere(const User& user);
  // Needs the password (as change_password). Deletes the user and all their records; returns
  // the blob keys of their images, whose files the caller removes (ImageService::remove_files).
  // Hashes: run on the PasswordPool.
  std::vector<std::string> delete_account(const User& user, const std::string& password);

  // Invitations, for administrators (the caller checks that the user is one).
  CreatedInvitation create_invitation(const User& admin);
  std::vector<Invitation> list_invitations();
  void revoke_invitation(const std::string& invitation_id);

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
  // A validated user with a fresh id and the password's hash, not stored yet.
  User new_user(const std::string& email, const std::string& password, bool is_admin);
  SignedIn start_session(User user);
  // Throws invalid_argument naming `field` unless the password is the user's; a wrong one counts
  // against the account's sign-in throttle, and rate_limited while it must wait.
  void require_password(const User& user, const std::string& password, const std::string& field);

  Store& store_;
  SessionCache& sessions_;
  AccountOptions options_;
  FailureThrottle login_failures_;   // keys "account:<email>" and "address:<address>"
  FailureThrottle signup_attempts_;  // keyed by client address
  std::string dummy_hash_;  // verified against for unknown e-mails, so timing reveals nothing
};

}  // namespace rendermart
