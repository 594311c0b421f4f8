// The TAESD decoder against diffusers' AutoencoderTiny on a random tiny one
// (tests/fixtures/diffusion-extra/tiny-taesd, made by gen_extra_fixtures.py).

#include "diffusion/taesd.hpp"

#include <gtest/gtest.h>

#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

TEST(Taesd, DecoderMatchesTheReference) {
  const auto dir = testing::fixtures() + "-extra/tiny-taesd";
  const auto config = parse_taesd_config(read_json_file(dir + "/config.json"), "config.json");
  SafetensorsWeights weights({find_weight_file(dir, "diffusion_pytorch_model")});
  const TaesdDecoder decoder(config, weights, at::kFloat);
  const auto g = testing::load_golden(dir + "/golden.safetensors");
  const at::Tensor out = decoder.decode(g.at("z"));
  // The same layers in float64 are diffusers' decoder up to diffusers' own float32 rounding ...
  const at::Tensor exact =
      TaesdDecoder(config, weights, at::kDouble).decode(g.at("z").to(at::kDouble));
  EXPECT_TRUE(testing::all_close(exact, g.at("out")));
  // ... and the float32 decoder is as accurate as diffusers': how float32 convolutions round
  // depends on the kernels ATen and oneDNN pick for the CPU, so its output is held to the error
  // of the reference's, not to the reference's rounding.
  const double error = (out - exact).abs().max().item<double>();
  const double reference_error = (g.at("out") - exact).abs().max().item<double>();
  EXPECT_LE(error, 2 * reference_error) << "the reference's float32 error is " << reference_error;
}

}  // namespace
}  // namespace rendermart::diffusion
