#include "diffusion/clip_tokenizer.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::golden;
using testing::model_dir;

std::vector<std::int64_t> ids_of(const at::Tensor& t) {
  const auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// The ids the reference tokenizer of `model` gives for a range of prompts.
void expect_reference_ids(const ClipTokenizer& tokenizer, const std::string& model) {
  const auto expected = golden(model, "tokenizer.safetensors");
  const std::vector<std::string> prompts = {
      "a photograph of an astronaut riding a horse", "", "Ünïcödé café — naïve 東京 🚀 émoji!!",
      "A  cat's  \"quoted\"  DOG, 123,456.78 & <tags> it'll be OK",
      "an extremely detailed oil painting of a lighthouse on a rocky cliff at sunset, dramatic "
      "clouds, crashing waves, seagulls flying overhead, warm golden light, volumetric fog, "
      "intricate brush strokes, trending on artstation, masterpiece, highly detailed, sharp focus, "
      "8k resolution, cinematic composition, by a famous nineteenth century painter, museum "
      "quality, ultra realistic, vivid colors, wide angle lens, soft shadows, reflections on wet "
      "stones, distant ships on the horizon, stars appearing in the purple sky"};
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto key = "prompt" + std::to_string(i);
    EXPECT_EQ(tokenizer.encode(prompts[i]), ids_of(expected.at(key + ".ids"))) << key;
    EXPECT_EQ(tokenizer.encode_padded(prompts[i], 77), ids_of(expected.at(key + ".ids_77"))) << key;
  }
}

class ClipTokenizerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ClipTokenizerGolden, MatchesTheReferenceIdsForEveryPrompt) {
  expect_reference_ids(ClipTokenizer(model_dir(GetParam()) + "/tokenizer"), GetParam());
}

// What single-file checkpoints use: tiny-sd1 has SD 1.x's tokenizer, tiny-sd2 SD 2.x's.
TEST_P(ClipTokenizerGolden, TheBuiltInVocabularyGivesTheSameIds) {
  expect_reference_ids(
      ClipTokenizer::builtin(GetParam() == "tiny-sd1" ? ClipTokenizer::Variant::clip
                                                      : ClipTokenizer::Variant::open_clip),
      GetParam());
}

INSTANTIATE_TEST_SUITE_P(Models, ClipTokenizerGolden, ::testing::Values("tiny-sd1", "tiny-sd2"));

TEST(ClipTokenizer, GivesTheWellKnownIds) {
  const ClipTokenizer tokenizer(model_dir("tiny-sd1") + "/tokenizer");
  EXPECT_EQ(tokenizer.encode("a photograph of an astronaut riding a horse"),
            (std::vector<std::int64_t>{49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407}));
  // Curly quotes and full-width letters read as their plain forms, as with ftfy.
  EXPECT_EQ(tokenizer.encode("\u201Chorse\u201D"), tokenizer.encode("\"horse\""));
  EXPECT_EQ(tokenizer.encode("\uFF28\uFF4F\uFF52\uFF53\uFF45"), tokenizer.encode("horse"));
}

TEST(ClipTokenizer, MissingFilesAreModelErrors) {
  try {
    ClipTokenizer tokenizer(model_dir("tiny-sd1") + "/no-such-folder");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_error);
    EXPECT_NE(std::string(e.what()).find("vocab.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rendermart::diffusion
