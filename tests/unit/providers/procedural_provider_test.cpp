#include "providers/procedural/procedural_provider.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace rendermart {
namespace {

GenerationParams params(const std::string& prompt, std::uint32_t seed = 7, int size = 128) {
  GenerationParams p;
  p.prompt = prompt;
  p.model = "procedural";
  p.width = size;
  p.height = size;
  p.steps = 20;
  p.cfg_scale = 7;
  p.seed = seed;
  p.count = 1;
  return p;
}

std::vector<RawImage> generate(const GenerationParams& p) {
  ProceduralProvider provider;
  const CancelFlag cancel{false};
  return provider.generate(p, {}, nullptr, cancel);
}

RawImage one(const GenerationParams& p) { return generate(p).at(0); }

double mean_channel(const RawImage& image, int channel) {
  double sum = 0;
  for (std::size_t i = static_cast<std::size_t>(channel); i < image.rgb.size(); i += 3) {
    sum += image.rgb[i];
  }
  return sum / (image.rgb.size() / 3);
}

double mean_luma(const RawImage& image, int first_row = 0, int last_row = -1) {
  if (last_row < 0) last_row = image.height;
  double sum = 0;
  for (int y = first_row; y < last_row; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto* p = &image.rgb[static_cast<std::size_t>((y * image.width + x) * 3)];
      sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    }
  }
  return sum / ((last_row - first_row) * image.width);
}

double stddev(const RawImage& image) {
  double sum = 0;
  double squares = 0;
  for (auto v : image.rgb) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(image.rgb.size());
  return std::sqrt(squares / n - (sum / n) * (sum / n));
}

// Mean absolute difference between horizontal neighbours: high-frequency noise.
double roughness(const RawImage& image) {
  double sum = 0;
  for (std::size_t i = 3; i < image.rgb.size(); ++i) {
    sum += std::abs(static_cast<int>(image.rgb[i]) - static_cast<int>(image.rgb[i - 3]));
  }
  return sum / static_cast<double>(image.rgb.size());
}

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (auto b : bytes) {
    h ^= b;
    h *= 0x100000001B3ull;
  }
  return h;
}

TEST(ProceduralProvider, DescribesItselfHonestly) {
  const auto models = ProceduralProvider().models();
  ASSERT_EQ(models.size(), 1u);
  const ModelInfo& m = models[0];
  EXPECT_EQ(m.id, "procedural");
  EXPECT_EQ(m.name, "Procedural (built-in)");
  EXPECT_EQ(m.provider, "builtin");
  EXPECT_EQ(m.kind, "demo");
  EXPECT_NE(m.description.find("Not a neural model"), std::string::npos);
  EXPECT_EQ(m.min_side, 64);
  EXPECT_EQ(m.max_side, 2048);
  EXPECT_EQ(m.size_multiple, 8);
  EXPECT_TRUE(m.fixed_sizes.empty());
  EXPECT_EQ(m.default_size.width, 512);
  EXPECT_EQ(m.default_size.height, 512);
  EXPECT_EQ(m.max_count, 4);
  EXPECT_EQ(m.steps.min, 1);
  EXPECT_EQ(m.steps.max, 50);
  EXPECT_EQ(m.steps.default_value, 20);
  EXPECT_EQ(m.cfg_scale.min, 1);
  EXPECT_EQ(m.cfg_scale.max, 20);
  EXPECT_EQ(m.cfg_scale.default_value, 7);
  EXPECT_EQ(m.styles, (std::vector<std::string>{"photographic", "watercolor", "pixel-art", "neon",
                                                "line-art", "oil-painting", "low-poly"}));
  EXPECT_TRUE(m.negative_prompt);
  EXPECT_EQ(m.max_prompt_length, 2000);
}

TEST(ProceduralProvider, SameParamsSameBytesOtherwiseDifferent) {
  const auto p = params("a red fox at sunset over mountains");
  const RawImage a = one(p);
  EXPECT_EQ(a.rgb, one(p).rgb);
  auto other_seed = p;
  other_seed.seed = 8;
  EXPECT_NE(a.rgb, one(other_seed).rgb);
  auto other_prompt = p;
  other_prompt.prompt = "a red fox at sunset over the sea";
  EXPECT_NE(a.rgb, one(other_prompt).rgb);
}

TEST(ProceduralProvider, OutputIsPinnedAcrossMachines) {
  // Bit-identical output on every machine is part of the contract (no libm transcendentals, no
  // std:: distributions). If the picture changes on purpose, update the value.
  EXPECT_EQ(fnv1a(one(params("a calm blue sea under clouds", 1234, 64)).rgb),
            10055988974783654696ull);
}

TEST(ProceduralProvider, EveryStyleIsDeterministicAndChangesThePicture) {
  auto p = params("city skyline at night with stars", 3, 96);
  const RawImage plain = one(p);
  const auto models = ProceduralProvider().models();
  for (const auto& style : models.at(0).styles) {
    p.style = style;
    const RawImage styled = one(p);
    EXPECT_EQ(styled.rgb, one(p).rgb) << style;
    EXPECT_NE(styled.rgb, plain.rgb) << style;
  }
}

TEST(ProceduralProvider, HonoursSize) {
  auto p = params("forest");
  p.width = 768;
  p.height = 512;
  const RawImage image = one(p);
  EXPECT_EQ(image.width, 768);
  EXPECT_EQ(image.height, 512);
  EXPECT_EQ(image.rgb.size(), 768u * 512 * 3);
  p.width = 64;
  p.height = 2048;
  EXPECT_EQ(one(p).rgb.size(), 64u * 2048 * 3);
}

TEST(ProceduralProvider, RejectsSizesAndCountsOutOfRange) {
  auto p = params("forest");
  p.width = 32;
  EXPECT_THROW(generate(p), Error);
  p.width = 4096;
  EXPECT_THROW(generate(p), Error);
  p.width = 128;
  p.count = 5;
  EXPECT_THROW(generate(p), Error);
}

TEST(ProceduralProvider, ImageIUsesSeedPlusI) {
  auto p = params("a galaxy over the desert", 100);
  p.count = 3;
  const auto images = generate(p);
  ASSERT_EQ(images.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(images[static_cast<std::size_t>(i)].rgb,
              one(params(p.prompt, 100 + static_cast<std::uint32_t>(i))).rgb);
  }
  EXPECT_NE(images[0].rgb, images[1].rgb);
  EXPECT_NE(images[1].rgb, images[2].rgb);
  EXPECT_NE(images[0].rgb, images[2].rgb);
}

TEST(ProceduralProvider, SeedWrapsAround) {
  auto p = params("snowy mountains", 4294967295u);
  p.count = 2;
  const auto images = generate(p);
  EXPECT_EQ(images[1].rgb, one(params("snowy mountains", 0)).rgb);
}

TEST(ProceduralProvider, CancelBeforeStartThrowsCanceled) {
  ProceduralProvider provider;
  const CancelFlag cancel{true};
  try {
    provider.generate(params("forest"), {}, nullptr, cancel);
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::canceled);
  }
}

TEST(ProceduralProvider, CancelBetweenPassesStopsTheWork) {
  ProceduralProvider provider;
  CancelFlag cancel{false};
  int calls = 0;
  const auto progress = [&](const ProgressUpdate&) {
    if (++calls == 3) cancel = true;
  };
  auto p = params("forest");
  p.count = 2;
  try {
    provider.generate(p, {}, progress, cancel);
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::canceled);
  }
  EXPECT_EQ(calls, 3);  // nothing ran after the flag was seen
}

TEST(ProceduralProvider, ProgressRisesToOne) {
  ProceduralProvider provider;
  const CancelFlag cancel{false};
  std::vector<double> seen;
  auto p = params("a calm blue sea under clouds");
  p.steps = 10;
  p.count = 2;
  provider.generate(
      p, {},
      [&](const ProgressUpdate& u) {
        EXPECT_FALSE(u.preview.has_value());  // the built-in generator has no cheap preview
        seen.push_back(u.fraction);
      },
      cancel);
  ASSERT_GE(seen.size(), 2u * 10);  // at least one report per pass
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
  EXPECT_GT(seen.front(), 0.0);
  EXPECT_EQ(seen.back(), 1.0);
}

TEST(ProceduralProvider, ColourWordsSetThePalette) {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const RawImage red = one(params("a red abstract", seed));
    const RawImage blue = one(params("a blue abstract", seed));
    EXPECT_GT(mean_channel(red, 0), mean_channel(blue, 0) + 20) << seed;
    EXPECT_GT(mean_channel(blue, 2), mean_channel(red, 2) + 20) << seed;
  }
}

TEST(ProceduralProvider, NightIsDarkerThanDay) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const double night = mean_luma(one(params("mountains under the night sky", seed)));
    const double day = mean_luma(one(params("mountains under a clear day sky", seed)));
    EXPECT_LT(night, day * 0.5) << seed;
  }
}

TEST(ProceduralProvider, NegativePromptRemovesAColour) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    auto p = params("a red and blue abstract", seed);
    const double with_red = mean_channel(one(p), 0);
    p.negative_prompt = "red";
    const double without_red = mean_channel(one(p), 0);
    EXPECT_LT(without_red, with_red * 0.8) << seed;
  }
}

TEST(ProceduralProvider, NegativePromptRemovesAnElement) {
  // White clouds brighten the sky; without them the upper half is the plain blue gradient.
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    auto p = params("a cloudy sky over the sea", seed);
    const double cloudy = mean_luma(one(p), 0, 64);
    p.negative_prompt = "clouds";
    EXPECT_LT(mean_luma(one(p), 0, 64), cloudy - 5) << seed;
  }
}

TEST(ProceduralProvider, FewerStepsLeaveMoreNoise) {
  auto p = params("a calm blue sea under clouds");
  p.steps = 1;
  const double rough = roughness(one(p));
  p.steps = 50;
  EXPECT_GT(rough, roughness(one(p)) * 2);
}

TEST(ProceduralProvider, CfgScaleRaisesContrast) {
  auto p = params("desert dunes at sunset");
  p.cfg_scale = 1;
  const double flat = stddev(one(p));
  p.cfg_scale = 20;
  EXPECT_GT(stddev(one(p)), flat * 1.2);
}

TEST(ProceduralProvider, AStyleWordInThePromptActsAsStyle) {
  auto p = params("neon city");
  const RawImage implied = one(p);
  p.style = "neon";
  EXPECT_EQ(implied.rgb, one(p).rgb);
}

TEST(ProceduralProvider, UnknownPromptsStillMakeDistinctPictures) {
  const RawImage a = one(params("qwertyuiop"));
  const RawImage b = one(params("zxcvbnm"));
  EXPECT_GT(stddev(a), 15);
  EXPECT_GT(stddev(b), 15);
  EXPECT_NE(a.rgb, b.rgb);
}

TEST(ProceduralProvider, IsThreadSafe) {
  const auto p = params("a red fox at sunset over mountains", 5);
  const RawImage expected = one(p);
  std::vector<RawImage> results(4);
  std::vector<std::thread> threads;
  ProceduralProvider provider;
  for (auto& result : results) {
    threads.emplace_back([&] {
      const CancelFlag cancel{false};
      result = provider.generate(p, {}, nullptr, cancel).at(0);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& result : results) EXPECT_EQ(result.rgb, expected.rgb);
}

}  // namespace
}  // namespace rendermart
