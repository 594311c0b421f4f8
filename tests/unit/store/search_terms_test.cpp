#include <gtest/gtest.h>

#include "store/search_terms.hpp"

namespace rendermart {
namespace {

using Words = std::vector<std::string_view>;

TEST(SearchWords, SplitOnAsciiWhitespaceAndControlCharacters) {
  EXPECT_EQ(search_words("red fox"), (Words{"red", "fox"}));
  EXPECT_EQ(search_words("  red\t\r\nfox  "), (Words{"red", "fox"}));
  EXPECT_EQ(search_words(std::string_view("a\0b\x7f"
                                          "c\x01",
                                          6)),
            (Words{"a", "b", "c"}));
}

TEST(SearchWords, KeepEverythingElseInsideAWord) {
  EXPECT_EQ(search_words("sci-fi \"x\" a:b* café 日本"),
            (Words{"sci-fi", "\"x\"", "a:b*", "café", "日本"}));
}

TEST(SearchWords, NoWords) {
  EXPECT_TRUE(search_words("").empty());
  EXPECT_TRUE(search_words(" \t\n").empty());
}

}  // namespace
}  // namespace rendermart
