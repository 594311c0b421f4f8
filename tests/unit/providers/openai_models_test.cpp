#include <gtest/gtest.h>

#include "core/error.hpp"
#include "providers/openai/openai_provider.hpp"

namespace rendermart {
namespace {

const std::string kToday = "2026-12-07";

TEST(OpenAiFamilies, BuiltInFamiliesMatchTheirModelsAndSnapshots) {
  const auto families = builtin_openai_families();
  for (const char* id :
       {"gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-flare",
        "gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.6-sunburst", "gpt-image-2.6-flare"}) {
    EXPECT_NE(find_openai_family(families, id), nullptr) << id;
  }
  for (const char* id : {"gpt-image-1", "dall-e-3", "gpt-image-2.5", "gpt-image-2x", "gpt-5"}) {
    EXPECT_EQ(find_openai_family(families, id), nullptr) << id;
  }
  const auto& caps = find_openai_family(families, "gpt-image-2.6-flare")->capabilities;
  EXPECT_TRUE(caps.sizes.empty());
  EXPECT_EQ(caps.max_side, 3840);
  EXPECT_EQ(caps.size_multiple, 16);
  EXPECT_EQ(caps.max_pixels, 8294400);
  EXPECT_EQ(caps.max_count, 10);
  EXPECT_FALSE(caps.response_format);
  EXPECT_EQ(caps.qualities.front(), "auto");
}

TEST(OpenAiFamilies, AFileAddsFamiliesAndReplacesBuiltInOnesByName) {
  const auto extra = parse_openai_families(R"({"families": [
    {"name": "gpt-image-2", "match": "^gpt-image-2$", "sizes": ["1024x1024"], "max_images": 2},
    {"name": "sdxl", "match": "^sdxl-.*$", "sizes": ["512x512", "768x512"], "max_images": 4,
     "qualities": ["standard"], "response_format": true}]})",
                                           "families.json");
  const auto families = merge_openai_families(extra, builtin_openai_families());
  EXPECT_EQ(families.size(), 4u);
  EXPECT_EQ(find_openai_family(families, "gpt-image-2")->capabilities.max_count, 2);
  EXPECT_EQ(find_openai_family(families, "gpt-image-2-2026-04-21"), nullptr)
      << "the replacement's pattern is the one that counts";
  const auto* sdxl = find_openai_family(families, "sdxl-turbo");
  ASSERT_NE(sdxl, nullptr);
  EXPECT_EQ(sdxl->capabilities.sizes.size(), 2u);
  EXPECT_EQ(sdxl->capabilities.default_size.width, 512);
}

TEST(OpenAiFamilies, MistakesInAFileAreClearErrors) {
  for (const char* bad :
       {"[]", R"({"families": [{"name": "x"}]})", R"({"families": [{"name": "x", "match": "("}]})",
        R"({"families": [{"name": "x", "match": "x"}]})",
        R"({"families": [{"name": "x", "match": "x", "sizes": ["big"]}]})",
        R"({"families": [{"name": "x", "match": "x", "sizes": ["1x1"],
                              "max_images": 0}]})"}) {
    try {
      parse_openai_families(bad, "f.json");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "openai_families_file") << bad;
      EXPECT_NE(std::string(e.what()).find("f.json"), std::string::npos) << e.what();
    }
  }
}

TEST(OpenAiModels, KnownModelsHaveTheirFamilysCapabilities) {
  const auto models =
      parse_openai_models(" gpt-image-2 , gpt-image-2.6-flare", builtin_openai_families(), kToday);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "gpt-image-2");
  EXPECT_EQ(models[0].capabilities.max_count, 10);
  EXPECT_EQ(models[1].capabilities.qualities.back(), "max");
}

TEST(OpenAiModels, OtherModelsListTheirSizesAndCount) {
  const auto models = parse_openai_models("sdxl=1024x1024 768x1344/4,gpt-image-2=1024x1024",
                                          builtin_openai_families(), kToday);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].capabilities.sizes.size(), 2u);
  EXPECT_EQ(models[0].capabilities.sizes[1].height, 1344);
  EXPECT_EQ(models[0].capabilities.max_count, 4);
  EXPECT_EQ(models[1].capabilities.sizes.size(), 1u);  // a known model narrowed to one size
  EXPECT_EQ(models[1].capabilities.qualities.size(), 4u);
}

TEST(OpenAiModels, RetiredModelsAreRefusedNamingTheReplacement) {
  try {
    parse_openai_models("gpt-image-1.5", builtin_openai_families(), kToday);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "openai_models");
    EXPECT_NE(std::string(e.what()).find("retired on 2026-12-01"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gpt-image-2.6-sunburst or gpt-image-2.6-flare"),
              std::string::npos)
        << e.what();
  }
  // Before its shutdown date a deprecated model may still be named (with sizes: no family).
  EXPECT_EQ(parse_openai_models("gpt-image-1.5=1024x1024", builtin_openai_families(), "2026-11-30")
                .size(),
            1u);
}

TEST(OpenAiModels, MistakesAreClearErrors) {
  for (const char* bad :
       {"", "sdxl", "sdxl=big", "sdxl=1024x0", "sdxl=1024x1024/0", "=1x1", " , ", "dall-e-3"}) {
    try {
      parse_openai_models(bad, builtin_openai_families(), kToday);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "openai_models") << bad;
    }
  }
}

TEST(OpenAiProvider, OffersNothingBeforeItsFirstListing) {
  OpenAiOptions options;
  options.base_url = "http://127.0.0.1:1/";
  options.families = builtin_openai_families();
  OpenAiProvider provider(options);
  EXPECT_TRUE(provider.models().empty());
}

}  // namespace
}  // namespace rendermart
