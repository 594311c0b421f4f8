// Users, sessions, API keys, preferences and the schema of the Store, against a SQLite file, an
// in-memory SQLite database and a fresh database on a throw-away PostgreSQL cluster.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;

User make_user(const std::string& email) {
  return User{
      .id = new_id(), .email = email, .password_hash = "$argon2id$v=19$x", .created_at = kT0};
}

ApiKey make_key(const std::string& user_id, const std::string& name) {
  return ApiKey{.id = new_id(),
                .user_id = user_id,
                .name = name,
                .prefix = "rm_" + name,
                .secret_hash = sha256_hex(name + random_hex(8)),
                .created_at = kT0};
}

class StoreAccountsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      dir_ = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
      store_ = open_store("sqlite://" + (dir_ / "nested" / "accounts.db").string());
    } else if (GetParam() == "postgres") {
      store_ = open_store(testing::pg_test_server().create_database());
    } else {
      store_ = open_store("sqlite::memory:");
    }
    store_->migrate();
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreAccountsTest,
                         ::testing::Values("file", "memory", "postgres"),
                         [](const auto& backend) { return backend.param; });

TEST_P(StoreAccountsTest, MigrateTwiceIsHarmless) {
  const User user = make_user("alice@example.com");
  store_->create_user(user);
  store_->migrate();
  store_->ping();
  EXPECT_TRUE(store_->find_user(user.id));
}

TEST_P(StoreAccountsTest, UsersRoundTrip) {
  User user = make_user("alice@example.com");
  user.is_admin = true;
  store_->create_user(user);

  const auto by_id = store_->find_user(user.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->email, "alice@example.com");
  EXPECT_EQ(by_id->password_hash, user.password_hash);
  EXPECT_TRUE(by_id->is_admin);
  EXPECT_EQ(by_id->created_at, kT0);

  const auto by_email = store_->find_user_by_email("alice@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->id, user.id);
  EXPECT_TRUE(store_->find_user_by_email("ALICE@Example.com"));
  EXPECT_FALSE(store_->find_user_by_email("bob@example.com"));
  EXPECT_FALSE(store_->find_user("no-such-user"));
}

TEST_P(StoreAccountsTest, DuplicateEmailIsAConflictWhateverItsCase) {
  store_->create_user(make_user("alice@example.com"));
  for (const char* email : {"alice@example.com", "Alice@EXAMPLE.com"}) {
    try {
      store_->create_user(make_user(email));
      FAIL() << "no conflict for " << email;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::conflict);
      EXPECT_EQ(error.field(), "email");
    }
  }
}

TEST_P(StoreAccountsTest, SetAdmin) {
  const User user = make_user("alice@example.com");
  store_->create_user(user);
  store_->set_admin(user.id, true);
  EXPECT_TRUE(store_->find_user(user.id)->is_admin);
  store_->set_admin(user.id, false);
  EXPECT_FALSE(store_->find_user(user.id)->is_admin);
  try {
    store_->set_admin("no-such-user", true);
    FAIL() << "no error for an unknown user";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::not_found);
  }
}

TEST_P(StoreAccountsTest, SessionsExpire) {
  const User user = make_user("alice@example.com");
  store_->create_user(user);
  const std::string hash = sha256_hex("token");
  store_->create_session(hash, user.id, kT0 + 1000);

  const auto found = store_->find_session_user(hash, kT0 + 999);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user.id, user.id);
  EXPECT_EQ(found->user.email, user.email);
  EXPECT_EQ(found->expires_at, kT0 + 1000);
  EXPECT_FALSE(store_->find_session_user(hash, kT0 + 1000));
  EXPECT_FALSE(store_->find_session_user(sha256_hex("other"), kT0));

  store_->delete_session(hash);
  EXPECT_FALSE(store_->find_session_user(hash, kT0));
  store_->delete_session(hash);  // deleting twice is harmless
}

TEST_P(StoreAccountsTest, ApiKeysAreScopedToTheirOwner) {
  const User alice = make_user("alice@example.com");
  const User bob = make_user("bob@example.com");
  store_->create_user(alice);
  store_->create_user(bob);
  const ApiKey first = make_key(alice.id, "first");
  const ApiKey second = make_key(alice.id, "second");
  const ApiKey bobs = make_key(bob.id, "bobs");
  for (const auto& key : {first, second, bobs}) store_->create_api_key(key);

  const auto keys = store_->list_api_keys(alice.id);
  ASSERT_EQ(keys.size(), 2U);
  EXPECT_GT(keys[0].id, keys[1].id);  // newest first
  EXPECT_EQ(keys[1].name, keys[0].id == first.id ? "second" : "first");
  for (const auto& key : keys) {
    EXPECT_EQ(key.user_id, alice.id);
    EXPECT_FALSE(key.last_used_at);
    EXPECT_EQ(key.created_at, kT0);
  }

  EXPECT_FALSE(store_->delete_api_key(bob.id, first.id));
  EXPECT_EQ(store_->list_api_keys(alice.id).size(), 2U);
  EXPECT_TRUE(store_->delete_api_key(alice.id, first.id));
  EXPECT_FALSE(store_->delete_api_key(alice.id, first.id));
  ASSERT_EQ(store_->list_api_keys(alice.id).size(), 1U);
  EXPECT_EQ(store_->list_api_keys(bob.id).size(), 1U);
  EXPECT_FALSE(store_->use_api_key(first.secret_hash, kT0));
}

TEST_P(StoreAccountsTest, UsingAnApiKeyRecordsTheTime) {
  const User alice = make_user("alice@example.com");
  store_->create_user(alice);
  const ApiKey key = make_key(alice.id, "ci");
  store_->create_api_key(key);

  const auto used = store_->use_api_key(key.secret_hash, kT0 + 5);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->id, key.id);
  EXPECT_EQ(used->user_id, alice.id);
  EXPECT_EQ(used->prefix, "rm_ci");
  EXPECT_EQ(used->last_used_at, kT0 + 5);
  EXPECT_EQ(store_->list_api_keys(alice.id)[0].last_used_at, kT0 + 5);
  EXPECT_EQ(store_->use_api_key(key.secret_hash, kT0 + 9)->last_used_at, kT0 + 9);
  EXPECT_FALSE(store_->use_api_key(sha256_hex("unknown"), kT0));
}

TEST_P(StoreAccountsTest, DuplicateSecretHashIsAConflict) {
  const User alice = make_user("alice@example.com");
  store_->create_user(alice);
  const ApiKey key = make_key(alice.id, "a");
  store_->create_api_key(key);
  ApiKey twin = make_key(alice.id, "b");
  twin.secret_hash = key.secret_hash;
  try {
    store_->create_api_key(twin);
    FAIL() << "no conflict";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::conflict);
  }
}

TEST_P(StoreAccountsTest, PreferencesRoundTrip) {
  const User alice = make_user("alice@example.com");
  store_->create_user(alice);
  EXPECT_FALSE(store_->get_preferences(alice.id));

  Preferences prefs{.model = "sdxl",
                    .style = "anime",
                    .width = 1024,
                    .height = 768,
                    .negative_prompt = "text, watermark",
                    .theme = "dark"};
  store_->put_preferences(alice.id, prefs);
  auto stored = store_->get_preferences(alice.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->model, "sdxl");
  EXPECT_EQ(stored->style, "anime");
  EXPECT_EQ(stored->width, 1024);
  EXPECT_EQ(stored->height, 768);
  EXPECT_EQ(stored->negative_prompt, "text, watermark");
  EXPECT_EQ(stored->theme, "dark");

  prefs = Preferences{};
  store_->put_preferences(alice.id, prefs);
  stored = store_->get_preferences(alice.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->model, "");
  EXPECT_EQ(stored->width, 0);
  EXPECT_EQ(stored->theme, "system");
}

TEST_P(StoreAccountsTest, RecordsOfAnUnknownUserAreRefused) {
  EXPECT_THROW(store_->create_session(sha256_hex("t"), "no-such-user", kT0), Error);
  EXPECT_THROW(store_->put_preferences("no-such-user", Preferences{}), Error);
}

Invitation make_invitation(const std::string& admin_id, const std::string& code,
                           Millis expires_at) {
  return Invitation{.id = new_id(),
                    .code_hash = sha256_hex(code),
                    .created_by = admin_id,
                    .created_at = kT0,
                    .expires_at = expires_at};
}

// The error every store gives for a code that cannot register anyone.
void expect_invalid_invitation(Store& store, const std::string& email, const std::string& code,
                               Millis now) {
  try {
    store.create_invited_user(make_user(email), sha256_hex(code), now);
    FAIL() << "registered " << email << " with code " << code;
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::forbidden);
    EXPECT_EQ(error.field(), "invite");
  }
  EXPECT_FALSE(store.find_user_by_email(email)) << "no user without a usable code";
}

TEST_P(StoreAccountsTest, AnInvitationRegistersOneUserBeforeItExpires) {
  const User admin = make_user("admin@example.com");
  store_->create_user(admin);
  const auto invitation = make_invitation(admin.id, "code-1", kT0 + 1000);
  store_->create_invitation(invitation);
  store_->create_invitation(make_invitation(admin.id, "code-2", kT0 + 1000));

  expect_invalid_invitation(*store_, "nobody@example.com", "unknown-code", kT0);
  expect_invalid_invitation(*store_, "late@example.com", "code-2", kT0 + 1000);
  try {
    store_->create_invited_user(make_user("admin@example.com"), sha256_hex("code-1"), kT0);
    FAIL() << "a taken e-mail registered";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::conflict);
  }

  const User bob = make_user("bob@example.com");
  store_->create_invited_user(bob, sha256_hex("code-1"), kT0 + 10);
  EXPECT_TRUE(store_->find_user(bob.id));
  expect_invalid_invitation(*store_, "carol@example.com", "code-1", kT0 + 20);

  const auto listed = store_->list_invitations();
  ASSERT_EQ(listed.size(), 2U);
  const auto used = std::find_if(listed.begin(), listed.end(),
                                 [&](const Invitation& i) { return i.id == invitation.id; });
  ASSERT_NE(used, listed.end());
  EXPECT_EQ(used->used_at, kT0 + 10);
  EXPECT_EQ(used->used_by, bob.id);
  EXPECT_EQ(used->expires_at, kT0 + 1000);

  EXPECT_TRUE(store_->delete_invitation(invitation.id));
  EXPECT_FALSE(store_->delete_invitation(invitation.id));
  EXPECT_EQ(store_->list_invitations().size(), 1U);
}

TEST_P(StoreAccountsTest, RegistrationsRacingForOneCodeRegisterOne) {
  const User admin = make_user("admin@example.com");
  store_->create_user(admin);
  store_->create_invitation(make_invitation(admin.id, "shared", kT0 + 1000));
  std::atomic<int> registered{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 6; ++i) {
    racers.emplace_back([&, i] {
      try {
        store_->create_invited_user(make_user("racer" + std::to_string(i) + "@example.com"),
                                    sha256_hex("shared"), kT0);
        ++registered;
      } catch (const Error& error) {
        EXPECT_EQ(error.field(), "invite");
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(registered.load(), 1);
}

TEST_P(StoreAccountsTest, ChangingThePasswordEndsTheOtherSessionsOnly) {
  const User alice = make_user("alice@example.com");
  const User bob = make_user("bob@example.com");
  store_->create_user(alice);
  store_->create_user(bob);
  for (const char* token : {"alice-here", "alice-elsewhere"}) {
    store_->create_session(sha256_hex(token), alice.id, kT0 + 1000);
  }
  store_->create_session(sha256_hex("bob"), bob.id, kT0 + 1000);

  store_->change_password(alice.id, "$argon2id$new", sha256_hex("alice-here"));
  EXPECT_EQ(store_->find_user(alice.id)->password_hash, "$argon2id$new");
  EXPECT_TRUE(store_->find_session_user(sha256_hex("alice-here"), kT0));
  EXPECT_FALSE(store_->find_session_user(sha256_hex("alice-elsewhere"), kT0));
  EXPECT_TRUE(store_->find_session_user(sha256_hex("bob"), kT0));
  EXPECT_THROW(store_->change_password("no-such-user", "x", ""), Error);

  store_->delete_user_sessions(alice.id);
  EXPECT_FALSE(store_->find_session_user(sha256_hex("alice-here"), kT0));
  EXPECT_TRUE(store_->find_session_user(sha256_hex("bob"), kT0));
}

TEST_P(StoreAccountsTest, ExpiredSessionsAreDeleted) {
  const User alice = make_user("alice@example.com");
  store_->create_user(alice);
  store_->create_session(sha256_hex("old"), alice.id, kT0);
  store_->create_session(sha256_hex("new"), alice.id, kT0 + 1000);
  EXPECT_EQ(store_->delete_expired_sessions(kT0 + 1), 1);
  EXPECT_EQ(store_->delete_expired_sessions(kT0 + 1), 0);
  EXPECT_TRUE(store_->find_session_user(sha256_hex("new"), kT0 + 1));
}

TEST_P(StoreAccountsTest, DeletingAUserTakesTheirRecordsAndKeepsOthers) {
  const User admin = make_user("admin@example.com");
  const User alice = make_user("alice@example.com");
  store_->create_user(admin);
  store_->create_user(alice);
  store_->create_session(sha256_hex("admin"), admin.id, kT0 + 1000);
  store_->create_api_key(make_key(admin.id, "admin-key"));
  store_->put_preferences(admin.id, Preferences{});
  const auto made = make_invitation(admin.id, "made", kT0 + 1000);
  store_->create_invitation(made);
  store_->create_invitation(make_invitation(alice.id, "by-alice", kT0 + 1000));
  const User invited = make_user("invited@example.com");
  store_->create_invited_user(invited, sha256_hex("by-alice"), kT0);

  const auto blob_keys = store_->delete_user(admin.id);
  ASSERT_TRUE(blob_keys);
  EXPECT_TRUE(blob_keys->empty()) << "no images";
  EXPECT_FALSE(store_->find_user(admin.id));
  EXPECT_FALSE(store_->find_session_user(sha256_hex("admin"), kT0));
  EXPECT_TRUE(store_->list_api_keys(admin.id).empty());
  EXPECT_FALSE(store_->get_preferences(admin.id));
  const auto left = store_->list_invitations();
  ASSERT_EQ(left.size(), 1U) << "the admin's invitation went with them";
  EXPECT_EQ(left[0].created_by, alice.id);

  ASSERT_TRUE(store_->delete_user(invited.id));
  const auto after = store_->list_invitations();
  ASSERT_EQ(after.size(), 1U) << "a used invitation outlives the user it registered";
  EXPECT_EQ(after[0].used_by, "");
  EXPECT_TRUE(after[0].used_at);
  EXPECT_FALSE(store_->delete_user(admin.id)) << "gone already";
}

// A version reserved earlier can land after a higher one was applied: migrate applies it then.
TEST(StoreMigration, AMissingVersionBelowTheHighestIsApplied) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  const auto path = dir / "gap.db";
  {
    auto store = open_store("sqlite://" + path.string());
    store->migrate();
  }
  sqlite::Database(path.string())
      .exec("DROP TABLE invitations; DELETE FROM schema_migrations WHERE version = 3");
  auto store = open_store("sqlite://" + path.string());
  store->migrate();
  EXPECT_TRUE(store->list_invitations().empty()) << "the invitations table is back";
  store.reset();
  std::filesystem::remove_all(dir);
}

// Two stores on one new file stand for two processes starting together.
TEST(StoreMigration, ConcurrentMigrationsFromTwoProcessesAgree) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  const std::string url = "sqlite://" + (dir / "fresh.db").string();
  auto first = open_store(url);
  auto second = open_store(url);
  std::thread migrating([&] { second->migrate(); });
  first->migrate();
  migrating.join();

  const User user = make_user("alice@example.com");
  first->create_user(user);
  EXPECT_TRUE(second->find_user(user.id));
  first.reset();
  second.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rendermart
