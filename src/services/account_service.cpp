#include "services/account_service.hpp"

#include <algorithm>
#include <regex>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/password.hpp"
#include "services/generation_request.hpp"

namespace rendermart {
namespace {

constexpr std::size_t kMinPassword = 8;
constexpr std::size_t kMaxPassword = 256;  // Argon2 takes any length; this bounds the work
constexpr std::size_t kMaxEmail = 254;     // RFC 5321 path limit
constexpr std::size_t kMaxKeyName = 100;
const std::string kApiKeyPrefix = "rm_";  // makes leaked keys easy to recognise and scan for

std::string normalize_email(const std::string& email) {
  auto begin = email.find_first_not_of(" \t");
  auto end = email.find_last_not_of(" \t");
  std::string out = begin == std::string::npos ? "" : email.substr(begin, end - begin + 1);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void validate_email(const std::string& email) {
  static const std::regex pattern(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  if (email.size() > kMaxEmail || !std::regex_match(email, pattern)) {
    throw invalid_argument("email", "enter a valid e-mail address, like name@example.com");
  }
}

void validate_password(const std::string& password, const std::string& field = "password") {
  const auto length = utf8_length(password);
  if (length < kMinPassword || password.size() > kMaxPassword) {
    throw invalid_argument(field, "password must be " + std::to_string(kMinPassword) + " to " +
                                      std::to_string(kMaxPassword) + " characters long");
  }
}

std::string account_key(const std::string& normalized_email) {
  return "account:" + normalized_email;
}
std::string address_key(const std::string& client_address) { return "address:" + client_address; }

// Refusals say when to come back, in the message and in Retry-After.
void throw_if_waiting(std::chrono::seconds wait, const std::string& what) {
  if (wait.count() <= 0) return;
  throw Error(ErrorCode::rate_limited, what + ": try again in " + std::to_string(wait.count()) +
                                           " second" + (wait.count() == 1 ? "" : "s"))
      .with_retry_after(wait);
}

}  // namespace

AccountService::AccountService(Store& store, SessionCache& sessions, AccountOptions options)
    : store_(store),
      sessions_(sessions),
      options_(options),
      login_failures_(options.login_throttle),
      signup_attempts_(options.signup_throttle),
      dummy_hash_(hash_password(random_token(16))) {}

void AccountService::check_registration_allowed(const std::string& client_address) {
  if (options_.registration == Registration::closed) {
    throw Error(ErrorCode::forbidden,
                "registration is closed on this server: ask an administrator for an account");
  }
  throw_if_waiting(signup_attempts_.wait(client_address, FailureThrottle::Clock::now()),
                   "too many sign-ups from your network");
}

void AccountService::check_login_allowed(const std::string& email,
                                         const std::string& client_address) {
  const auto now = FailureThrottle::Clock::now();
  throw_if_waiting(std::max(login_failures_.wait(account_key(normalize_email(email)), now),
                            login_failures_.wait(address_key(client_address), now)),
                   "too many failed sign-ins");
}

SignedIn AccountService::register_user(const std::string& email, const std::string& password,
                                       const std::string& invite_code,
                                       const std::string& client_address) {
  check_registration_allowed(client_address);
  signup_attempts_.record_failure(client_address, FailureThrottle::Clock::now());
  if (options_.registration == Registration::invite) {
    if (invite_code.empty()) {
      throw Error(ErrorCode::forbidden,
                  "registration on this server needs an invitation code: ask an administrator "
                  "for one",
                  "invite");
    }
    auto user = new_user(email, password, false);
    store_.create_invited_user(user, sha256_hex(invite_code), now_millis());
    return start_session(std::move(user));
  }
  return start_session(create_user(email, password, false));
}

User AccountService::new_user(const std::string& email, const std::string& password,
                              bool is_admin) {
  User user;
  user.email = normalize_email(email);
  validate_email(user.email);
  validate_password(password);
  user.id = new_id();
  user.password_hash = hash_password(password);
  user.is_admin = is_admin;
  user.created_at = now_millis();
  return user;
}

User AccountService::create_user(const std::string& email, const std::string& password,
                                 bool is_admin) {
  auto user = new_user(email, password, is_admin);
  store_.create_user(user);
  return user;
}

SignedIn AccountService::login(const std::string& email, const std::string& password,
                               const std::string& client_address) {
  check_login_allowed(email, client_address);
  const auto normalized = normalize_email(email);
  const auto user = store_.find_user_by_email(normalized);
  const bool ok = verify_password(password, user ? user->password_hash : dummy_hash_);
  if (!user || !ok) {
    const auto now = FailureThrottle::Clock::now();
    login_failures_.record_failure(account_key(normalized), now);
    login_failures_.record_failure(address_key(client_address), now);
    throw Error(ErrorCode::unauthenticated, "wrong e-mail or password");
  }
  if (user->disabled) {
    throw Error(ErrorCode::forbidden,
                "this account is disabled: ask an administrator of this server to enable it");
  }
  login_failures_.reset(account_key(normalized));
  login_failures_.reset(address_key(client_address));
  store_.delete_expired_sessions(now_millis());
  return start_session(*user);
}

SignedIn AccountService::start_session(User user) {
  SignedIn result{std::move(user), random_token(32)};
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl);
  store_.create_session(sha256_hex(result.session_token), result.user.id,
                        now_millis() + ttl.count());
  return result;
}

// Each change is forgotten here at once, and in other processes when they hear of it.
void AccountService::logout(const std::string& session_token) {
  const auto token_hash = sha256_hex(session_token);
  store_.delete_session(token_hash);
  sessions_.forget_session(token_hash);
}

void AccountService::require_password(const User& user, const std::string& password,
                                      const std::string& field) {
  // Counted as failed sign-ins of the account: a stolen session must not become a way around
  // the throttle to guess the password.
  const auto key = account_key(user.email);
  throw_if_waiting(login_failures_.wait(key, FailureThrottle::Clock::now()),
                   "too many wrong passwords");
  if (!verify_password(password, user.password_hash)) {
    login_failures_.record_failure(key, FailureThrottle::Clock::now());
    // Not unauthenticated: the session is fine, one field of the request is wrong.
    throw invalid_argument(field, "the password is wrong: enter your current password");
  }
}

void AccountService::change_password(const User& user, const std::string& session_token,
                                     const std::string& current_password,
                                     const std::string& new_password) {
  validate_password(new_password, "new_password");
  require_password(user, current_password, "current_password");
  store_.change_password(user.id, hash_password(new_password),
                         session_token.empty() ? std::string() : sha256_hex(session_token));
  sessions_.forget_user(user.id);
}

void AccountService::sign_out_everywhere(const User& user) {
  store_.delete_user_sessions(user.id);
  sessions_.forget_user(user.id);
}

std::vector<std::string> AccountService::delete_account(const User& user,
                                                        const std::string& password) {
  require_password(user, password, "password");
  auto blob_keys = store_.delete_user(user.id);
  sessions_.forget_user(user.id);
  if (!blob_keys) throw not_found("user");
  return std::move(*blob_keys);
}

CreatedInvitation AccountService::create_invitation(const User& admin) {
  CreatedInvitation created;
  created.code = random_token(16);
  created.invitation.id = new_id();
  created.invitation.code_hash = sha256_hex(created.code);
  created.invitation.created_by = admin.id;
  created.invitation.created_at = now_millis();
  created.invitation.expires_at =
      created.invitation.created_at +
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.invitation_ttl).count();
  store_.create_invitation(created.invitation);
  return created;
}

std::vector<Invitation> AccountService::list_invitations() { return store_.list_invitations(); }

void AccountService::revoke_invitation(const std::string& invitation_id) {
  if (!store_.delete_invitation(invitation_id)) throw not_found("invitation");
}

std::optional<User> AccountService::user_for_session(const std::string& session_token) {
  const auto token_hash = sha256_hex(session_token);
  const auto now = now_millis();
  if (auto user = sessions_.find(token_hash, now)) return user;
  const auto ticket = sessions_.ticket();
  auto found = store_.find_session_user(token_hash, now);
  if (!found) return std::nullopt;
  sessions_.put(ticket, token_hash, found->user, found->expires_at, now);
  return std::move(found->user);
}

std::optional<User> AccountService::user_for_api_key(const std::string& secret) {
  if (secret.rfind(kApiKeyPrefix, 0) != 0) return std::nullopt;
  const auto key = store_.use_api_key(sha256_hex(secret), now_millis());
  if (!key) return std::nullopt;
  return store_.find_user(key->user_id);
}

CreatedKey AccountService::create_key(const User& user, const std::string& name) {
  if (name.empty() || utf8_length(name) > kMaxKeyName) {
    throw invalid_argument("name",
                           "name must be 1 to " + std::to_string(kMaxKeyName) + " characters long");
  }
  CreatedKey created;
  created.secret = kApiKeyPrefix + random_token(32);
  created.key.id = new_id();
  created.key.user_id = user.id;
  created.key.name = name;
  created.key.prefix = created.secret.substr(0, kApiKeyPrefix.size() + 6);
  created.key.secret_hash = sha256_hex(created.secret);
  created.key.created_at = now_millis();
  store_.create_api_key(created.key);
  return created;
}

std::vector<ApiKey> AccountService::list_keys(const User& user) {
  return store_.list_api_keys(user.id);
}

void AccountService::revoke_key(const User& user, const std::string& key_id) {
  if (!store_.delete_api_key(user.id, key_id)) throw not_found("API key");
}

}  // namespace rendermart
