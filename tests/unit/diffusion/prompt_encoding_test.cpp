// Weighted and long prompts through tiny-sd1's text encoder: a weighted chunk is AUTOMATIC1111's
// formula (z * w, scaled back to z's mean) computed here in float64 from the unweighted chunk's
// states, a prompt without weights is exactly the pipelines' encoding, long prompts concatenate
// their chunks, the UNet's cross-attention takes the longer context, and a generation runs with
// it; then the same for SDXL's two encoders (tests/fixtures/diffusion-xl/tiny-sdxl).

#include "diffusion/prompt_encoding.hpp"

#include <gtest/gtest.h>

#include "diffusion/model_folder.hpp"
#include "diffusion/stable_diffusion.hpp"
#include "diffusion/text_encoder.hpp"
#include "diffusion/unet.hpp"
#include "diffusion/weights.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::model_dir;
using testing::relative_to_max;

class PromptEncoding : public ::testing::Test {
 protected:
  PromptEncoding()
      : folder_(read_model_folder(model_dir("tiny-sd1"))), tokenizer_(folder_.tokenizer_path()) {
    SafetensorsWeights weights({find_weight_file(folder_.text_encoder_path(), "model")});
    encoder_ = std::make_unique<TextEncoder>(folder_.text_encoder, weights, at::kFloat);
  }
  PromptEmbedding encode(const std::string& prompt) const {
    return encode_chunks(prompt_chunks(prompt, tokenizer_), [&](const at::Tensor& ids) {
      const auto out = encoder_->forward(ids);
      return PromptEmbedding{out.last_hidden_state, out.pooled};
    });
  }
  at::Tensor unweighted(const std::vector<std::int64_t>& ids) const {
    return encoder_->forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0))
        .last_hidden_state;
  }

  ModelFolder folder_;
  ClipTokenizer tokenizer_;
  std::unique_ptr<TextEncoder> encoder_;
};

TEST_F(PromptEncoding, APromptWithoutWeightsIsExactlyThePipelinesEncoding) {
  const std::string prompt = "a photograph of an astronaut riding a horse";
  const auto encoded = encode(prompt);
  const auto expected = unweighted(tokenizer_.encode_padded(prompt, 77));
  EXPECT_TRUE(at::equal(encoded.hidden, expected));
}

TEST_F(PromptEncoding, AWeightedChunkIsTheReferenceFormulaOfTheUnweightedStates) {
  const std::string prompt = "a (red:1.3) fox in the ((snow)), [[blurry]] background";
  const auto chunks = prompt_chunks(prompt, tokenizer_);
  ASSERT_EQ(chunks.size(), 1u);
  const auto encoded = encode(prompt);
  ASSERT_EQ(encoded.hidden.sizes(), (at::IntArrayRef{1, 77, 32}));

  const auto z = unweighted(chunks[0].ids).to(at::kDouble);
  const auto w = at::tensor(chunks[0].weights, at::TensorOptions().dtype(at::kFloat))
                     .to(at::kDouble)
                     .view({1, 77, 1});
  const auto weighted = z * w;
  const auto expected = weighted * (z.mean() / weighted.mean());
  // float32 means of 77 x 32 states against float64 ones.
  EXPECT_LT(relative_to_max(encoded.hidden, expected), 1e-5);
  // The weights did something: the states differ from the unweighted ones.
  EXPECT_GT(relative_to_max(encoded.hidden, z), 1e-2);
}

TEST_F(PromptEncoding, ALongPromptConcatenatesItsChunksAndPoolsTheFirst) {
  std::string prompt;
  for (int i = 0; i < 80; ++i) prompt += i % 10 == 9 ? "(cat), " : "cat ";
  const auto chunks = prompt_chunks(prompt, tokenizer_);
  ASSERT_EQ(chunks.size(), 2u);
  const auto encoded = encode(prompt);
  ASSERT_EQ(encoded.hidden.sizes(), (at::IntArrayRef{1, 154, 32}));
  for (std::size_t i = 0; i < 2; ++i) {
    const auto expected = emphasize(unweighted(chunks[i].ids), chunks[i].weights);
    EXPECT_TRUE(
        at::equal(encoded.hidden.narrow(1, static_cast<std::int64_t>(77 * i), 77), expected))
        << "chunk " << i;
  }
  const auto first = encoder_->forward(
      at::tensor(chunks[0].ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
  EXPECT_TRUE(at::equal(encoded.pooled, first.pooled));
}

TEST_F(PromptEncoding, EmphasisLeavesAllOnesAlone) {
  const auto z = unweighted(tokenizer_.encode_padded("a cat", 77));
  EXPECT_TRUE(at::equal(emphasize(z, std::vector<float>(77, 1.0f)), z));
}

// Cross-attention over two chunks that are the same 77 states attends to each key twice as
// often at half the weight: the UNet's output equals that of one chunk. This holds for any
// key count only if the attention kernel handles keys beyond one block of 77 correctly.
TEST_F(PromptEncoding, TheUNetTakesAContextOfSeveralChunks) {
  SafetensorsWeights weights({find_weight_file(folder_.unet_path(), "diffusion_pytorch_model")});
  const UNet unet(folder_.unet, weights, at::kFloat);
  const auto context = encode("a photograph of an astronaut riding a horse").hidden;
  const auto doubled = at::cat({context, context}, 1);
  auto generator = at::detail::createCPUGenerator(7);
  const auto sample = at::randn({1, 4, 32, 32}, generator, at::TensorOptions().dtype(at::kFloat));
  const auto t = at::full({1}, 500.0, at::TensorOptions().dtype(at::kFloat));
  const auto once = unet.forward(sample, t, context);
  const auto twice = unet.forward(sample, t, doubled);
  EXPECT_LT(relative_to_max(twice, once), 1e-5);

  // And a context whose second chunk differs changes the output.
  const auto other = encode("a red fox in the snow").hidden;
  const auto mixed = unet.forward(sample, t, at::cat({context, other}, 1));
  EXPECT_GT(relative_to_max(mixed, once), 1e-3);
}

// A prompt of two chunks with a negative prompt of one: the negative is padded with the empty
// prompt's chunk, the context is [uncond, cond] of 154 tokens each, and a generation runs on it.
TEST_F(PromptEncoding, AGenerationRunsWithALongPromptAndAShortNegative) {
  const StableDiffusion sd(folder_, at::kFloat, false);
  std::string prompt;
  for (int i = 0; i < 40; ++i) prompt += "(red:1.2) fox ";
  const auto conditioning = sd.condition(prompt, "blurry", true, 64, 64);
  ASSERT_EQ(conditioning.context.sizes(), (at::IntArrayRef{2, 154, 32}));
  EXPECT_TRUE(at::equal(conditioning.context[1].unsqueeze(0), encode(prompt).hidden));
  EXPECT_TRUE(
      at::equal(conditioning.context[0].narrow(0, 0, 77).unsqueeze(0), encode("blurry").hidden));
  EXPECT_TRUE(at::equal(conditioning.context[0].narrow(0, 77, 77).unsqueeze(0), encode("").hidden));

  auto scheduler = make_scheduler(SchedulerKind::euler, folder_.scheduler, 2);
  auto noise = noise_generator(5);
  const auto latents = at::randn({1, 4, 32, 32}, noise, at::TensorOptions().dtype(at::kFloat)) *
                       scheduler->init_noise_sigma();
  const auto image =
      sd.decode(sd.denoise(latents, conditioning, 7.5, *scheduler, noise, {}), false);
  EXPECT_EQ(image.sizes(), (at::IntArrayRef{1, 3, 64, 64}));
  EXPECT_TRUE(image.isfinite().all().item<bool>());
}

// SDXL: each text encoder chunks and weights the prompt, their states stand side by side per
// chunk, the pooled embedding is the first chunk's, and the zero negative of an empty negative
// prompt is as long as the prompt.
TEST(PromptEncodingSdxl, BothEncodersChunkTheSameWayAndPoolTheFirstChunk) {
  const auto folder = read_model_folder(std::string(RENDERMART_SOURCE_DIR) +
                                        "/tests/fixtures/diffusion-xl/tiny-sdxl");
  const StableDiffusion sd(folder, at::kFloat, false);
  const auto repeat = [](int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += "(cat:1.2) ";
    return out;
  };
  const auto whole = sd.encode_prompt(repeat(80));
  ASSERT_EQ(whole.hidden.sizes(), (at::IntArrayRef{1, 154, 64}));
  const auto first = sd.encode_prompt(repeat(75));
  const auto second = sd.encode_prompt(repeat(5));
  EXPECT_TRUE(at::equal(whole.hidden.narrow(1, 0, 77), first.hidden));
  EXPECT_TRUE(at::equal(whole.hidden.narrow(1, 77, 77), second.hidden));
  EXPECT_TRUE(at::equal(whole.pooled, first.pooled));

  ASSERT_TRUE(folder.force_zeros_for_empty_prompt);
  const auto conditioning = sd.condition(repeat(80), "", true, 64, 64);
  ASSERT_EQ(conditioning.context.sizes(), (at::IntArrayRef{2, 154, 64}));
  EXPECT_EQ(conditioning.context[0].abs().max().item<float>(), 0);
  EXPECT_TRUE(at::equal(conditioning.context[1].unsqueeze(0), whole.hidden));
}

}  // namespace
}  // namespace rendermart::diffusion
