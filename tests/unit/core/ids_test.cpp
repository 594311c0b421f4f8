#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace rendermart {
namespace {

TEST(Ids, AreUniqueAndOrderedByTime) {
  const auto first = new_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto second = new_id();
  EXPECT_EQ(first.size(), 26u);
  EXPECT_LT(first, second);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(new_id()).second);
}

TEST(Cursor, RoundTripsAnId) {
  const auto id = new_id();
  const auto cursor = encode_cursor(id);
  EXPECT_NE(cursor, id);
  EXPECT_EQ(decode_cursor(cursor), id);
}

TEST(Cursor, RejectsWhatThisServerDidNotMake) {
  const std::vector<std::string> bad_cursors = {"",
                                                "abc",
                                                "!!!!",
                                                "AAAA",
                                                encode_cursor("not-an-id"),
                                                encode_cursor(new_id() + "x"),
                                                std::string("\0\xff", 2)};
  for (const auto& bad : bad_cursors) {
    try {
      decode_cursor(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(e.field(), "cursor");
    }
  }
}

TEST(Hashing, Sha256MatchesAKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RandomToken, HasTheRequestedEntropy) {
  EXPECT_EQ(random_hex(8).size(), 16u);
  EXPECT_NE(random_token(32), random_token(32));
  EXPECT_EQ(random_token(32).find_first_of("+/="), std::string::npos);
}

}  // namespace
}  // namespace rendermart
