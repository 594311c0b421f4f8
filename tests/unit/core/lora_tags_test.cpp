#include "core/lora_tags.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace rendermart {
namespace {

TEST(LoraTags, TakesEachLoraTagOutOfThePrompt) {
  const auto out = extract_lora_tags("a castle <lora:ink_wash:0.8>, misty <lora:film-grain>");
  EXPECT_EQ(out.prompt, "a castle , misty ");
  ASSERT_EQ(out.loras.size(), 2u);
  EXPECT_EQ(out.loras[0], (LoraUse{"ink_wash", 0.8, ""}));
  EXPECT_EQ(out.loras[1], (LoraUse{"film-grain", 1, ""}));
}

TEST(LoraTags, LeavesOtherTextAndOtherNetworksAlone) {
  EXPECT_EQ(extract_lora_tags("a <b> and (c:1.2) <hypernet:x:1>").prompt,
            "a <b> and (c:1.2) <hypernet:x:1>");
  EXPECT_TRUE(extract_lora_tags("plain").loras.empty());
  EXPECT_EQ(extract_lora_tags("<lora:neg:-0.5>").loras.at(0).weight, -0.5);
}

TEST(LoraTags, RefusesWeightsThatAreNotOneNumber) {
  for (const char* prompt :
       {"<lora:x:strong>", "<lora:x:0.8:0.5>", "<lora:x:>", "<lora:x:1e999>"}) {
    try {
      extract_lora_tags(prompt);
      ADD_FAILURE() << prompt;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(e.field(), "prompt");
    }
  }
}

}  // namespace
}  // namespace rendermart
