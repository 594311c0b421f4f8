#include "core/base64.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/list_setting.hpp"

namespace rendermart {
namespace {

TEST(Base64, RoundTripsAndRefusesWhatIsNotBase64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  const std::string bytes("\x00\xff\x10 binary", 10);
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  for (const char* bad : {"Zm9vYg", "Zm9v!mFy", "Zm9vYg==x", "Zm 9v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(ListSetting, SplitsTrimsAndDropsEmptyItems) {
  EXPECT_EQ(split_list(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_list("1x1 2x2", ' '), (std::vector<std::string>{"1x1", "2x2"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ").empty());
}

TEST(ErrorCodes, ReadBackFromTheirNames) {
  EXPECT_EQ(error_code_from_string("content_filtered"), ErrorCode::content_filtered);
  EXPECT_EQ(error_code_from_string("provider_misconfigured"), ErrorCode::provider_misconfigured);
  EXPECT_EQ(error_code_from_string("internal"), ErrorCode::internal);
  EXPECT_EQ(error_code_from_string("invalid_argument"), ErrorCode::invalid_argument);
  EXPECT_FALSE(error_code_from_string("lease_expired").has_value());
}

}  // namespace
}  // namespace rendermart
