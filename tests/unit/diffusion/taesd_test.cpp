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
  EXPECT_TRUE(testing::all_close(decoder.decode(g.at("z")), g.at("out")));
}

}  // namespace
}  // namespace rendermart::diffusion
