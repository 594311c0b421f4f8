#include <gtest/gtest.h>

#include "core/error.hpp"
#include "providers/openai/openai_provider.hpp"

namespace rendermart {
namespace {

TEST(OpenAiModels, KnownModelsHaveTheirDocumentedCapabilities) {
  const auto models = parse_openai_models(" dall-e-3 , gpt-image-1,dall-e-2");
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].name, "dall-e-3");
  EXPECT_EQ(models[0].max_count, 1);
  EXPECT_EQ(models[0].sizes.size(), 3u);
  EXPECT_EQ(models[0].styles, (std::vector<std::string>{"vivid", "natural"}));
  EXPECT_FALSE(models[1].response_format);
  EXPECT_EQ(models[2].max_count, 10);
}

TEST(OpenAiModels, OtherModelsListTheirSizesAndCount) {
  const auto models = parse_openai_models("sdxl=1024x1024 768x1344/4,dall-e-3=1024x1024");
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].sizes.size(), 2u);
  EXPECT_EQ(models[0].sizes[1].width, 768);
  EXPECT_EQ(models[0].sizes[1].height, 1344);
  EXPECT_EQ(models[0].max_count, 4);
  EXPECT_EQ(models[1].sizes.size(), 1u);  // a known model narrowed to one size
  EXPECT_EQ(models[1].qualities.size(), 2u);
}

TEST(OpenAiModels, MistakesAreClearErrors) {
  for (const char* bad : {"", "sdxl", "sdxl=big", "sdxl=1024x0", "sdxl=1024x1024/0", "=1x1", " , "}) {
    try {
      parse_openai_models(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "openai_models") << bad;
    }
  }
}

TEST(OpenAiProvider, ModelsAreOfferedUnderTheirOwnPrefix) {
  OpenAiOptions options;
  options.base_url = "http://127.0.0.1:1/";
  options.models = parse_openai_models("dall-e-3");
  const auto models = OpenAiProvider(options).models();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].id, "openai/dall-e-3");
  EXPECT_EQ(models[0].provider, "openai");
  EXPECT_FALSE(models[0].negative_prompt);
  EXPECT_EQ(models[0].default_size.width, 1024);
}

}  // namespace
}  // namespace rendermart
