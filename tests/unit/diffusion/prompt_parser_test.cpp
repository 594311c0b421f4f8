// Prompt weights and chunks as AUTOMATIC1111 makes them: every example of its
// parse_prompt_attention docstring (modules/prompt_parser.py), the corners of its scanner, and
// tokenize_line's chunks (75 tokens, BREAK, the comma back-off) with the real CLIP vocabulary.

#include "diffusion/prompt_parser.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using Parsed = std::vector<WeightedText>;

TEST(PromptAttention, MatchesEveryExampleOfTheReferenceDocstring) {
  EXPECT_EQ(parse_prompt_attention("normal text"), (Parsed{{"normal text", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("an (important) word"),
            (Parsed{{"an ", 1.0}, {"important", 1.1}, {" word", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("(unbalanced"), (Parsed{{"unbalanced", 1.1}}));
  EXPECT_EQ(parse_prompt_attention("\\(literal\\]"), (Parsed{{"(literal]", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("(unnecessary)(parens)"), (Parsed{{"unnecessaryparens", 1.1}}));
  // The weights are Python's doubles to the last bit (the same products in the same order).
  EXPECT_EQ(parse_prompt_attention("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."),
            (Parsed{{"a ", 1.0},
                    {"house", 1.5730000000000004},
                    {" ", 1.1},
                    {"on", 1.0},
                    {" a ", 1.1},
                    {"hill", 0.55},
                    {", sun, ", 1.1},
                    {"sky", 1.4641000000000006},
                    {".", 1.1}}));
}

TEST(PromptAttention, BracketsMultiplyAndNest) {
  EXPECT_EQ(parse_prompt_attention("((word))"), (Parsed{{"word", 1.1 * 1.1}}));
  EXPECT_EQ(parse_prompt_attention("[word]"), (Parsed{{"word", 1 / 1.1}}));
  EXPECT_EQ(parse_prompt_attention("[[word]]"), (Parsed{{"word", 1 / 1.1 / 1.1}}));
  EXPECT_EQ(parse_prompt_attention("(word:1.3)"), (Parsed{{"word", 1.3}}));
  EXPECT_EQ(parse_prompt_attention("(word:+.5)"), (Parsed{{"word", 0.5}}));
  EXPECT_EQ(parse_prompt_attention("(word:-1.)"), (Parsed{{"word", -1.0}}));
  EXPECT_EQ(parse_prompt_attention("a ([b] c:2)"),
            (Parsed{{"a ", 1.0}, {"b", 2 / 1.1}, {" c", 2}}));
  // A colon that does not end in ")" is text, and so is a weight without an open bracket.
  EXPECT_EQ(parse_prompt_attention("(a: b)"), (Parsed{{"a: b", 1.1}}));
  EXPECT_EQ(parse_prompt_attention("a:1.5) b"), (Parsed{{"a:1.5) b", 1.0}}));
  // Closing brackets without an opening one are text; open ones weight everything after them.
  EXPECT_EQ(parse_prompt_attention("a) b] c"), (Parsed{{"a) b] c", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("a [b (c"), (Parsed{{"a ", 1.0}, {"b ", 1 / 1.1}, {"c", 1.0}}));
  // A round bracket does not close a square one.
  EXPECT_EQ(parse_prompt_attention("[a)"), (Parsed{{"a)", 1 / 1.1}}));
}

TEST(PromptAttention, BackslashesEscapeBracketsAndThemselves) {
  EXPECT_EQ(parse_prompt_attention("\\(a\\) \\[b\\]"), (Parsed{{"(a) [b]", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("a\\\\b"), (Parsed{{"a\\b", 1.0}}));
  // A backslash before anything else is dropped.
  EXPECT_EQ(parse_prompt_attention("a\\nb"), (Parsed{{"anb", 1.0}}));
  // Escaped characters inside brackets take the brackets' weight.
  EXPECT_EQ(parse_prompt_attention("(\\(a\\))"), (Parsed{{"(a)", 1.1}}));
}

TEST(PromptAttention, EmptyPromptIsOneEmptyRun) {
  EXPECT_EQ(parse_prompt_attention(""), (Parsed{{"", 1.0}}));
  EXPECT_EQ(parse_prompt_attention("()"), (Parsed{{"", 1.0}}));
}

TEST(PromptAttention, BreakSplitsWithTheWhitespaceAroundIt) {
  const auto parsed = parse_prompt_attention("a cat  BREAK\ta dog");
  EXPECT_EQ(parsed, (Parsed{{"a cat", 1.0}, {"BREAK", -1}, {"a dog", 1.0}}));
  EXPECT_TRUE(parsed[1].is_break());
  EXPECT_EQ(parse_prompt_attention("BREAK BREAK"),
            (Parsed{{"", 1.0}, {"BREAK", -1}, {"", 1.0}, {"BREAK", -1}, {"", 1.0}}));
  // Only the whole word: BREAKfast, _BREAK and BREAK2 are text.
  EXPECT_EQ(parse_prompt_attention("BREAKfast _BREAK BREAK2"),
            (Parsed{{"BREAKfast _BREAK BREAK2", 1.0}}));
  // Inside brackets its weight is multiplied too, and it is a word again.
  const auto bracketed = parse_prompt_attention("(a BREAK b)");
  EXPECT_EQ(bracketed, (Parsed{{"a", 1.1}, {"BREAK", -1.1}, {"b", 1.1}}));
  EXPECT_FALSE(bracketed[1].is_break());
}

TEST(PromptAttention, AWeightThatIsNotANumberIsRefused) {
  try {
    parse_prompt_attention("(word:1.2.3)");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "prompt");
    EXPECT_NE(std::string(e.what()).find("1.2.3"), std::string::npos) << e.what();
  }
}

// Chunks with the CLIP vocabulary of tiny-sd1 ("cat", "dog" and "," are one token each).
class PromptChunks : public ::testing::Test {
 protected:
  ClipTokenizer tokenizer_{testing::model_dir("tiny-sd1") + "/tokenizer"};
  std::int64_t id(const std::string& word) const { return tokenizer_.encode(word).at(1); }
  static std::string repeat(const std::string& word, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += word + " ";
    return out;
  }
  // [bos] + ids + [eos], padded with the pad id to 77.
  std::vector<std::int64_t> full(std::vector<std::int64_t> ids) const {
    ids.insert(ids.begin(), tokenizer_.bos_id());
    ids.push_back(tokenizer_.eos_id());
    ids.resize(77, tokenizer_.pad_id());
    return ids;
  }
};

TEST_F(PromptChunks, APromptWithoutSyntaxOfUpTo75TokensIsWhatThePipelinesEncode) {
  for (const auto& prompt : std::vector<std::string>{
           "a photograph of an astronaut riding a horse", "", "Ünïcödé café — naïve 東京 🚀 émoji!!",
           "A  cat's  \"quoted\"  DOG, 123,456.78 & <tags> it'll be OK", repeat("cat", 75)}) {
    const auto chunks = prompt_chunks(prompt, tokenizer_);
    ASSERT_EQ(chunks.size(), 1u) << prompt;
    EXPECT_EQ(chunks[0].ids, tokenizer_.encode_padded(prompt, 77)) << prompt;
    EXPECT_EQ(chunks[0].weights, std::vector<float>(77, 1.0f)) << prompt;
  }
}

TEST_F(PromptChunks, SeventySixTokensMakeTwoChunks) {
  const auto chunks = prompt_chunks(repeat("cat", 76), tokenizer_);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].ids, full(std::vector<std::int64_t>(75, id("cat"))));
  EXPECT_EQ(chunks[1].ids, full({id("cat")}));
}

TEST_F(PromptChunks, WeightsFollowTheirTokens) {
  const auto chunks = prompt_chunks("a (cat:1.5) [dog]", tokenizer_);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].ids, full({id("a"), id("cat"), id("dog")}));
  std::vector<float> weights(77, 1.0f);
  weights[2] = 1.5f;
  weights[3] = static_cast<float>(1 / 1.1);
  EXPECT_EQ(chunks[0].weights, weights);
}

TEST_F(PromptChunks, BreakEndsAChunk) {
  const auto chunks = prompt_chunks("a cat BREAK a dog", tokenizer_);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].ids, full({id("a"), id("cat")}));
  EXPECT_EQ(chunks[1].ids, full({id("a"), id("dog")}));
  // A BREAK first makes an empty first chunk, as it does there.
  EXPECT_EQ(prompt_chunks("BREAK cat", tokenizer_).size(), 2u);
}

TEST_F(PromptChunks, AChunkEndsAtACommaWithinTheLast20Tokens) {
  const auto cat = id("cat");
  const auto dog = id("dog");
  const auto comma = id(",");
  // 70 cats, a comma, 10 dogs: the chunk fills after 4 dogs, 5 tokens after the comma, so all
  // the dogs go to the second chunk.
  const auto chunks = prompt_chunks(repeat("cat", 70) + ", " + repeat("dog", 10), tokenizer_);
  ASSERT_EQ(chunks.size(), 2u);
  auto first = std::vector<std::int64_t>(70, cat);
  first.push_back(comma);
  EXPECT_EQ(chunks[0].ids, full(first));
  EXPECT_EQ(chunks[1].ids, full(std::vector<std::int64_t>(10, dog)));

  // A comma 25 tokens before the end is too far back: the chunk is cut at 75 tokens.
  const auto far = prompt_chunks(repeat("cat", 50) + ", " + repeat("dog", 30), tokenizer_);
  ASSERT_EQ(far.size(), 2u);
  auto far_first = std::vector<std::int64_t>(50, cat);
  far_first.push_back(comma);
  far_first.resize(75, dog);
  EXPECT_EQ(far[0].ids, full(far_first));
  EXPECT_EQ(far[1].ids, full(std::vector<std::int64_t>(6, dog)));

  // The back-off off: the plain cut.
  const auto plain =
      prompt_chunks(repeat("cat", 70) + ", " + repeat("dog", 10), tokenizer_, {75, 0});
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[1].ids, full(std::vector<std::int64_t>(6, dog)));
}

TEST_F(PromptChunks, OpenClipTokenizersPadEveryChunkAfterEosWithTheirPadId) {
  const ClipTokenizer open_clip(testing::model_dir("tiny-sd2") + "/tokenizer");
  ASSERT_EQ(open_clip.pad_id(), 0);
  const auto chunks = prompt_chunks(repeat("cat", 80), open_clip);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].ids.back(), open_clip.eos_id());
  std::vector<std::int64_t> second(6, open_clip.encode("cat").at(1));
  second.front() = open_clip.bos_id();
  second.push_back(open_clip.eos_id());
  second.resize(77, 0);
  EXPECT_EQ(chunks[1].ids, second);
}

TEST_F(PromptChunks, TheEmptyChunkIsTheEmptyPromptsEncoding) {
  const auto empty = empty_chunk(tokenizer_);
  EXPECT_EQ(empty.ids, tokenizer_.encode_padded("", 77));
  EXPECT_EQ(empty.weights, std::vector<float>(77, 1.0f));
}

}  // namespace
}  // namespace rendermart::diffusion
