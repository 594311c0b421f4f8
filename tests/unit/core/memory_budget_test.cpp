#include "core/memory_budget.hpp"

#include <gtest/gtest.h>

namespace rendermart {
namespace {

TEST(MemoryBudget, ASharePercentOfUsableMemory) {
  const auto budget = parse_memory_budget("60%");
  ASSERT_TRUE(budget);
  EXPECT_EQ(budget->resolve(1000), 600u);
  EXPECT_EQ(parse_memory_budget("100%")->resolve(1000), 1000u);
  EXPECT_EQ(parse_memory_budget("12.5%")->resolve(1000), 125u);
}

TEST(MemoryBudget, ASizeWithAnOptionalPowerOf1024Suffix) {
  EXPECT_EQ(parse_memory_budget("8000000000")->resolve(1), 8'000'000'000u);
  EXPECT_EQ(parse_memory_budget("512K")->resolve(1), 512u << 10);
  EXPECT_EQ(parse_memory_budget("512M")->resolve(1), 512u << 20);
  EXPECT_EQ(parse_memory_budget("12G")->resolve(1), 12ull << 30);
  EXPECT_EQ(parse_memory_budget("2T")->resolve(1), 2ull << 40);
}

TEST(MemoryBudget, RefusesWhatIsNeither) {
  for (const char* text : {"", "%", "0%", "101%", "-5%", "60 %", "abc", "12GB", "12g", "0", "-1",
                           "1.5G", "99999999999T", "G"}) {
    EXPECT_FALSE(parse_memory_budget(text)) << text;
  }
}

TEST(MemoryBudget, UsableMemoryIsKnown) { EXPECT_GT(usable_memory_bytes(), 1u << 20); }

}  // namespace
}  // namespace rendermart
