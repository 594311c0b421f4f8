#include <gtest/gtest.h>

#include "net/url.hpp"

namespace rendermart::net {
namespace {

TEST(OriginOf, IsSchemeHostAndPortLowerCasedWithTheDefaultPortWrittenOut) {
  EXPECT_EQ(origin_of("https://HuggingFace.co/api/models?x=1"), "https://huggingface.co:443");
  EXPECT_EQ(origin_of("HTTP://127.0.0.1:8080/cdn/abc"), "http://127.0.0.1:8080");
  EXPECT_EQ(origin_of("http://cdn.example.com/file"), "http://cdn.example.com:80");
}

TEST(OriginOf, IsEmptyForWhatIsNotAUrl) {
  EXPECT_EQ(origin_of(""), "");
  EXPECT_EQ(origin_of("not a url"), "");
}

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRestUpperCase) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b+c*d/e=f&"), "a%20b%2Bc%2Ad%2Fe%3Df%26");
  EXPECT_EQ(percent_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(percent_encode("\xc3\xbc"), "%C3%BC");
}

}  // namespace
}  // namespace rendermart::net
