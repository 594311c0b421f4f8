// SDXL LoRAs as kohya's trainer saves them (tests/fixtures/diffusion-xl/tiny-sdxl-lora: the UNet's
// layers by the original layout's names, both text encoders by transformers' names) and with the
// UNet's layers by diffusers' names, merged into tiny-sdxl: every module changes exactly its layer
// by W + w * alpha / rank * up @ down (checked in float64, each layer found by its weights, not by
// the engine's name mapping), the folder and the single-file checkpoint give the same image with
// it, and what the engine does not merge is refused by name.

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "core/error.hpp"
#include "diffusion/engine.hpp"
#include "diffusion/lora.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/text_encoder.hpp"
#include "diffusion/unet.hpp"
#include "diffusion/weights.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::all_close;

std::string xl_fixtures() {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl";
}
std::string lora_path() { return xl_fixtures() + "/tiny-sdxl-lora/tiny-sdxl-lora.safetensors"; }

at::Generator random(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

std::string underscored(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// tiny-sdxl's text encoders and UNet from its folder, their Linear layers in one LoraWeights.
struct TinyXl {
  TinyXl()
      : folder(read_model_folder(xl_fixtures() + "/tiny-sdxl")),
        te1_source({find_weight_file(folder.text_encoder_path(), "model")}),
        te2_source({find_weight_file(folder.text_encoder_2_path(), "model")}),
        unet_source({find_weight_file(folder.unet_path(), "diffusion_pytorch_model")}),
        te1(folder.text_encoder, te1_source, at::kFloat),
        te2(*folder.text_encoder_2, te2_source, at::kFloat),
        unet(folder.unet, unet_source, at::kFloat),
        weights{{"text_encoder", te1_source.linear_weights()},
                {"text_encoder_2", te2_source.linear_weights()},
                {"unet", unet_source.linear_weights()}} {
    for (const auto& [component, layers] : weights) {
      loras.add_component(component, layers);
      for (const auto& [name, weight] : layers) base[component + ":" + name] = weight.clone();
    }
  }
  ModelFolder folder;
  SafetensorsWeights te1_source, te2_source, unet_source;
  TextEncoder te1, te2;
  UNet unet;
  std::map<std::string, std::map<std::string, at::Tensor>> weights;  // by component, then name
  std::map<std::string, at::Tensor> base;  // "<component>:<name>": the weights before merging
  LoraWeights loras{folder.unet};
};

// W + weight * alpha / rank * up @ down in float64.
at::Tensor merged64(const at::Tensor& base, const Lora::Module& m, double weight) {
  const auto rank = static_cast<double>(m.down.size(0));
  return base.to(at::kDouble) +
         weight * m.alpha / rank * at::matmul(m.up.to(at::kDouble), m.down.to(at::kDouble));
}

// Checks that the merged model is its base with exactly these layers changed (`expected`: the
// merged weight by "<component>:<name>"), each within float32's rounding of the float64 formula.
void expect_merged(const TinyXl& xl, const std::map<std::string, at::Tensor>& expected) {
  int changed = 0;
  for (const auto& [component, layers] : xl.weights) {
    for (const auto& [name, weight] : layers) {
      const auto key = component + ":" + name;
      const auto it = expected.find(key);
      if (it == expected.end()) {
        EXPECT_TRUE(at::equal(weight, xl.base.at(key))) << key << " changed";
        continue;
      }
      EXPECT_TRUE(all_close(weight, it->second.reshape(weight.sizes()), 1e-6, 1e-6)) << key;
      ++changed;
    }
  }
  EXPECT_EQ(changed, static_cast<int>(expected.size()));
}

TEST(SdxlLora, EveryModuleOfAKohyaSdxlFileMergesIntoItsLayer) {
  TinyXl xl;
  const auto lora = std::make_shared<const Lora>(lora_path());
  // Each module's layer, found by its name in the files kohya names it after (the single-file
  // checkpoint's UNet, the text encoders' own files) and then by its base weights among the
  // engine's layers: independent of the engine's mapping of the original layout.
  const SafetensorsFile checkpoint(xl_fixtures() + "/tiny-sdxl-single-file/tiny-sdxl.safetensors");
  SafetensorsWeights checkpoint_weights({checkpoint.path()});
  std::map<std::string, std::string> stored;  // "<component>:<module>" -> the stored tensor
  for (const auto& [name, tensor] : checkpoint.tensors()) {
    const std::string unet = "model.diffusion_model.";
    if (name.starts_with(unet) && name.ends_with(".weight")) {
      stored["unet:" + underscored(name.substr(unet.size(), name.size() - unet.size() - 7))] = name;
    }
  }
  const auto layer_of = [&](const Lora::Module& m) -> std::string {
    at::Tensor value;
    if (m.component == "unet") {
      const auto& name = stored.at("unet:" + m.name);
      value = checkpoint_weights.get(name, checkpoint.tensors().at(name).shape, at::kFloat);
    } else {
      // The text encoders' files use the names the engine loads them by.
      for (const auto& [name, weight] : xl.weights.at(m.component)) {
        if (underscored(name) == m.name + "_weight") return m.component + ":" + name;
      }
      ADD_FAILURE() << m.component << " has no layer " << m.name;
      return {};
    }
    for (const auto& [name, weight] : xl.weights.at("unet")) {
      if (weight.sizes() == value.sizes() && at::equal(xl.base.at("unet:" + name), value)) {
        return "unet:" + name;
      }
    }
    ADD_FAILURE() << "no UNet layer holds " << m.name << "'s weights";
    return {};
  };

  std::map<std::string, at::Tensor> expected;
  std::map<std::string, int> per_component;
  for (const auto& m : lora->modules()) {
    const auto layer = layer_of(m);
    ASSERT_FALSE(layer.empty());
    ASSERT_EQ(expected.count(layer), 0u) << m.name << " and another module adapt " << layer;
    expected[layer] = merged64(xl.base.at(layer), m, 0.8);
    ++per_component[m.component];
  }
  // 11 transformers (2 + 2 down, 1 in the middle, 3 + 3 up) with 28 transformer blocks of 10
  // layers, plus proj_in and proj_out each; 6 per layer of the text encoders (2 and 3 layers).
  EXPECT_EQ(per_component["unet"], 28 * 10 + 11 * 2);
  EXPECT_EQ(per_component["text_encoder"], 2 * 6);
  EXPECT_EQ(per_component["text_encoder_2"], 3 * 6);

  xl.loras.apply({{lora, 0.8}});
  expect_merged(xl, expected);
  // Removed: the base weights, bit for bit.
  xl.loras.apply({});
  expect_merged(xl, {});
}

TEST(SdxlLora, DiffusersNamesOfTheUNetMergeToo) {
  TinyXl xl;
  std::map<std::string, at::Tensor> tensors;
  std::uint64_t seed = 1;
  for (const auto& [name, weight] : xl.weights.at("unet")) {
    if (name.find("transformer_blocks") == std::string::npos) continue;
    const auto module = "lora_unet_" + underscored(name.substr(0, name.size() - 7));
    tensors[module + ".lora_down.weight"] = at::randn({8, weight.size(1)}, random(++seed)) * 0.1;
    tensors[module + ".lora_up.weight"] = at::randn({weight.size(0), 8}, random(++seed)) * 0.1;
  }
  const auto lora = std::make_shared<const Lora>("diffusers-names.safetensors", tensors);
  std::map<std::string, at::Tensor> expected;
  for (const auto& m : lora->modules()) {
    // Without an alpha, alpha is the rank.
    EXPECT_EQ(m.alpha, 8.0);
    for (const auto& [name, weight] : xl.weights.at("unet")) {
      if (underscored(name) == m.name + "_weight") {
        expected["unet:" + name] = merged64(xl.base.at("unet:" + name), m, -0.5);
      }
    }
  }
  EXPECT_EQ(expected.size(), lora->modules().size());
  xl.loras.apply({{lora, -0.5}});
  expect_merged(xl, expected);
}

// The message of the Error `make` throws, which must have `code`.
std::string error_of(ErrorCode code, const std::function<void()>& make) {
  try {
    make();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(SdxlLora, WhatTheEngineDoesNotMergeIsRefusedByName) {
  TinyXl xl;
  const auto module = [](const std::string& name, std::vector<std::int64_t> down,
                         std::vector<std::int64_t> up) {
    return std::map<std::string, at::Tensor>{{name + ".lora_down.weight", at::zeros(down)},
                                             {name + ".lora_up.weight", at::zeros(up)}};
  };
  // A layer the model does not have: refused when applied, naming it, with nothing changed.
  const auto extra = "lora_unet_input_blocks_4_1_transformer_blocks_5_attn1_to_q";
  auto tensors = module(extra, {4, 32}, {32, 4});
  tensors.merge(module("lora_unet_input_blocks_4_1_proj_in", {4, 32}, {32, 4}));
  const auto unknown = std::make_shared<const Lora>("unknown.safetensors", tensors);
  auto message = error_of(ErrorCode::invalid_argument, [&] { xl.loras.apply({{unknown, 1}}); });
  EXPECT_NE(message.find("input_blocks_4_1_transformer_blocks_5_attn1_to_q"), std::string::npos)
      << message;
  expect_merged(xl, {});
  // LoCon's 3x3 convolutions, DoRA and other formats' tensors, when the file is read.
  message = error_of(ErrorCode::invalid_argument, [&] {
    Lora("locon.safetensors",
         module("lora_unet_input_blocks_1_0_in_layers_2", {4, 32, 3, 3}, {32, 4, 1, 1}));
  });
  EXPECT_NE(message.find("LoCon"), std::string::npos) << message;
  tensors = module("lora_unet_input_blocks_4_1_proj_in", {4, 32}, {32, 4});
  tensors["lora_unet_input_blocks_4_1_proj_in.dora_scale"] = at::ones({1, 32});
  message = error_of(ErrorCode::invalid_argument, [&] { Lora("dora.safetensors", tensors); });
  EXPECT_NE(message.find("DoRA"), std::string::npos) << message;
  tensors = module("lora_unet_input_blocks_4_1_proj_in", {4, 32}, {32, 4});
  tensors["lora_unet_input_blocks_4_1_proj_in.hada_w1_a"] = at::ones({32, 4});
  message = error_of(ErrorCode::model_error, [&] { Lora("loha.safetensors", tensors); });
  EXPECT_NE(message.find("hada_w1_a"), std::string::npos) << message;
  tensors = {{"lora_unet_input_blocks_4_1_proj_in.lora_up.weight", at::zeros({32, 4})}};
  message = error_of(ErrorCode::model_error, [&] { Lora("half.safetensors", tensors); });
  EXPECT_NE(message.find("has no lora_down"), std::string::npos) << message;
}

// The engine with the LoRA, from the folder and from the single-file checkpoint: the same image
// (the same weights, each layer found under the names of its layout), another than without it.
TEST(SdxlLora, TheFolderAndTheCheckpointGenerateTheSameImageWithIt) {
  auto checkpoint =
      read_checkpoint_model(xl_fixtures() + "/tiny-sdxl-single-file/tiny-sdxl.safetensors");
  // The tiny UNet's level 1 has heads of 16 channels, which its settings cannot say (sdxl_test).
  checkpoint.unet.down_blocks[1].heads = 2;
  checkpoint.unet.up_blocks[1].heads = 2;
  const DiffusionModel from_checkpoint(checkpoint, {});
  const DiffusionModel from_folder(read_model_folder(xl_fixtures() + "/tiny-sdxl"), {});
  ImageRequest request;
  request.prompt = "a red fox";
  request.width = 64;
  request.height = 64;
  request.steps = 2;
  request.seed = 7;
  const auto base = from_folder.generate(request, nullptr, nullptr);
  request.loras = {{lora_path(), 0.8}};
  const auto folder = from_folder.generate(request, nullptr, nullptr);
  const auto single = from_checkpoint.generate(request, nullptr, nullptr);
  EXPECT_NE(folder.rgb, base.rgb);
  ASSERT_EQ(folder.rgb.size(), single.rgb.size());
  int worst = 0;
  for (std::size_t i = 0; i < folder.rgb.size(); ++i) {
    worst = std::max(worst, std::abs(int(folder.rgb[i]) - int(single.rgb[i])));
  }
  EXPECT_LE(worst, 2);
}

}  // namespace
}  // namespace rendermart::diffusion
