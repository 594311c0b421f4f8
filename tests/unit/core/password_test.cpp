#include <gtest/gtest.h>

#include "core/password.hpp"

namespace rendermart {
namespace {

TEST(Password, HashIsArgon2idAndVerifies) {
  const auto hash = hash_password("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password("correct horse battery staple", hash));
  EXPECT_FALSE(verify_password("correct horse battery stapler", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(Password, SaltMakesEqualPasswordsHashDifferently) {
  EXPECT_NE(hash_password("same password"), hash_password("same password"));
}

TEST(Password, GarbageHashNeverVerifies) {
  EXPECT_FALSE(verify_password("anything", "not a hash"));
  EXPECT_FALSE(verify_password("anything", ""));
}

}  // namespace
}  // namespace rendermart
