#include "core/base64.hpp"

#include <gtest/gtest.h>

namespace rendermart {
namespace {

TEST(Base64, EncodesWithPaddingAsRfc4648) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("f"), "Zg==");
  EXPECT_EQ(encode_base64("fo"), "Zm8=");
  EXPECT_EQ(encode_base64("foo"), "Zm9v");
  EXPECT_EQ(encode_base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, DecodesWhatItEncodes) {
  const std::string bytes("\x89PNG\r\n\x1a\n\x00\x01\xff", 11);
  EXPECT_EQ(decode_base64(encode_base64(bytes)).value_or("<invalid>"), bytes);
}

TEST(Base64, RejectsMalformedText) {
  EXPECT_FALSE(decode_base64("Zg="));
  EXPECT_FALSE(decode_base64("Z!=="));
  EXPECT_FALSE(decode_base64("-_8A"));  // base64url is another alphabet
}

}  // namespace
}  // namespace rendermart
