// The text encoder, UNet and VAE of both tiny models against the reference's outputs, within the
// fixtures' suggested single-module tolerance |a - b| <= 1e-4 + 1e-4 |b|.

#include <gtest/gtest.h>

#include "diffusion/engine.hpp"
#include "diffusion/safetensors_file.hpp"
#include "diffusion/text_encoder.hpp"
#include "diffusion/unet.hpp"
#include "diffusion/vae.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::all_close;
using testing::golden;
using testing::model_dir;

class Components : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { folder_ = read_model_folder(model_dir(GetParam())); }
  SafetensorsWeights weights(const std::string& component, const std::string& stem) {
    return SafetensorsWeights({find_weight_file(folder_.path + "/" + component, stem)});
  }
  ModelFolder folder_;
};

TEST_P(Components, TextEncoderMatchesEveryHiddenState) {
  auto w = weights("text_encoder", "model");
  const TextEncoder encoder(folder_.text_encoder, w, at::kFloat);
  const auto g = golden(GetParam(), "text_encoder.safetensors");
  const auto out = encoder.forward(g.at("input_ids"), true);
  EXPECT_TRUE(all_close(out.last_hidden_state, g.at("last_hidden_state")));
  ASSERT_EQ(out.hidden_states.size(), 3u);
  for (std::size_t i = 0; i < out.hidden_states.size(); ++i) {
    EXPECT_TRUE(all_close(out.hidden_states[i], g.at("hidden_states." + std::to_string(i)))) << i;
  }
  EXPECT_TRUE(all_close(out.pooled, g.at("pooler_output")));
}

TEST_P(Components, UNetMatchesWithFractionalTimestepsAndANonSquareSample) {
  auto w = weights("unet", "diffusion_pytorch_model");
  const UNet unet(folder_.unet, w, at::kFloat);
  for (const auto* file : {"unet.safetensors", "unet_nonsquare.safetensors"}) {
    const auto g = golden(GetParam(), file);
    const auto out = unet.forward(g.at("sample"), g.at("timestep"), g.at("encoder_hidden_states"));
    EXPECT_TRUE(all_close(out, g.at("out"))) << file;
  }
}

TEST_P(Components, VaeDecoderAndEncoderMatch) {
  auto w = weights("vae", "diffusion_pytorch_model");
  const Vae vae(folder_.vae, w, at::kFloat, true);
  const auto dec = golden(GetParam(), "vae_decoder.safetensors");
  EXPECT_TRUE(all_close(vae.decode(dec.at("z")), dec.at("out")));
  const auto enc = golden(GetParam(), "vae_encoder.safetensors");
  const auto dist = vae.encode(enc.at("image"));
  EXPECT_TRUE(all_close(dist.mean, enc.at("mean")));
  EXPECT_TRUE(all_close(dist.logvar, enc.at("logvar")));
}

TEST_P(Components, BFloat16StaysCloseToTheReference) {
  if (!bfloat16_supported()) GTEST_SKIP() << "bfloat16 needs AVX-512 BF16";
  // bfloat16 keeps 8 bits of mantissa: the UNet's output moves by about 1% of its range.
  auto w = weights("unet", "diffusion_pytorch_model");
  const UNet unet(folder_.unet, w, at::kBFloat16);
  const auto g = golden(GetParam(), "unet.safetensors");
  const auto out = unet.forward(g.at("sample"), g.at("timestep"), g.at("encoder_hidden_states"));
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  EXPECT_LT(testing::relative_to_max(out, g.at("out")), 0.05);
}

INSTANTIATE_TEST_SUITE_P(Models, Components, ::testing::Values("tiny-sd1", "tiny-sd2"));

}  // namespace
}  // namespace rendermart::diffusion
