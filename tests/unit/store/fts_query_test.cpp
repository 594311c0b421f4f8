#include <gtest/gtest.h>

#include "store/sqlite/fts_query.hpp"

namespace rendermart::sqlite {
namespace {

TEST(Fts5Query, QuotesEachWordAsAPrefixTerm) {
  EXPECT_EQ(fts5_query("red fox"), "\"red\"* \"fox\"*");
  EXPECT_EQ(fts5_query("  red\t\nfox  "), "\"red\"* \"fox\"*");
  EXPECT_EQ(fts5_query("sci-fi"), "\"sci-fi\"*");
  EXPECT_EQ(fts5_query("café 日本"), "\"café\"* \"日本\"*");
}

TEST(Fts5Query, OperatorsBecomeText) {
  EXPECT_EQ(fts5_query("a AND b OR NOT c"), "\"a\"* \"AND\"* \"b\"* \"OR\"* \"NOT\"* \"c\"*");
  EXPECT_EQ(fts5_query("col:x* ^y (z)"), "\"col:x*\"* \"^y\"* \"(z)\"*");
}

TEST(Fts5Query, DoublesQuotes) {
  EXPECT_EQ(fts5_query("\""), "\"\"\"\"*");
  EXPECT_EQ(fts5_query("say \"hi\""), "\"say\"* \"\"\"hi\"\"\"*");
}

TEST(Fts5Query, ControlCharactersSeparateWords) {
  EXPECT_EQ(fts5_query(std::string("a\0b", 3)), "\"a\"* \"b\"*");
  EXPECT_EQ(fts5_query("a\x7f"
                       "b"),
            "\"a\"* \"b\"*");
}

TEST(Fts5Query, NoWordsNoQuery) {
  EXPECT_EQ(fts5_query(""), "");
  EXPECT_EQ(fts5_query(" \t\r\n"), "");
}

}  // namespace
}  // namespace rendermart::sqlite
