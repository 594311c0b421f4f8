// A kohya LoRA (tests/fixtures/diffusion-xl/tiny-sd1-lora, rank 4, alpha 2) merged into tiny-sd1
// at weight 0.8 against the reference (diffusers with PEFT, the LoRA applied at run time): merged
// weights, the text encoder's states and the UNet's output within the single-module tolerance;
// switching LoRAs and back to none without reloading; a LoRA for another model refused; a whole
// Euler run of the model (folder and single-file checkpoint) with the LoRA, step by step.

#include "diffusion/lora.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "core/error.hpp"
#include "diffusion/engine.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/stable_diffusion.hpp"
#include "diffusion/text_encoder.hpp"
#include "diffusion/unet.hpp"
#include "diffusion/weights.hpp"
#include "golden.hpp"

namespace rendermart::diffusion {
namespace {

using testing::all_close;
using testing::load_golden;
using testing::model_dir;
using testing::relative_to_max;

std::string lora_dir() {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl/tiny-sd1-lora";
}

std::shared_ptr<const Lora> tiny_lora() {
  return std::make_shared<const Lora>(lora_dir() + "/tiny-sd1-lora.safetensors");
}

std::map<std::string, at::Tensor> lora_golden(const std::string& file) {
  return load_golden(lora_dir() + "/golden/" + file);
}

// A tiny model's text encoder and UNet, their Linear layers handed to one LoraWeights.
struct Tiny {
  explicit Tiny(const std::string& model)
      : folder(read_model_folder(model_dir(model))),
        text_encoder_source({find_weight_file(folder.text_encoder_path(), "model")}),
        unet_source({find_weight_file(folder.unet_path(), "diffusion_pytorch_model")}),
        text_encoder(folder.text_encoder, text_encoder_source, at::kFloat),
        unet(folder.unet, unet_source, at::kFloat),
        text_encoder_weights(text_encoder_source.linear_weights()),
        unet_weights(unet_source.linear_weights()) {
    loras.add_component("text_encoder", text_encoder_weights);
    loras.add_component("unet", unet_weights);
  }
  ModelFolder folder;
  SafetensorsWeights text_encoder_source;
  SafetensorsWeights unet_source;
  TextEncoder text_encoder;
  UNet unet;
  std::map<std::string, at::Tensor> text_encoder_weights;  // the layers' own tensors, by name
  std::map<std::string, at::Tensor> unet_weights;
  LoraWeights loras{folder.unet};
};

class LoraGolden : public ::testing::Test {
 protected:
  Tiny sd_{"tiny-sd1"};
};

TEST(Lora, ReadsEveryModuleOfTheFile) {
  const auto lora = tiny_lora();
  ASSERT_EQ(lora->modules().size(), 84u);
  std::size_t text_encoder = 0;
  for (const auto& m : lora->modules()) {
    EXPECT_EQ(m.down.size(0), 4) << m.name;
    EXPECT_EQ(m.up.size(1), 4) << m.name;
    EXPECT_EQ(m.alpha, 2.0) << m.name;
    EXPECT_EQ(m.down.scalar_type(), at::kFloat);
    if (m.component == "text_encoder") ++text_encoder;
  }
  EXPECT_EQ(text_encoder, 12u);  // 2 layers x (q, k, v, out, fc1, fc2)
}

TEST_F(LoraGolden, MergedWeightsAreTheReferenceFormula) {
  sd_.loras.apply({{tiny_lora(), 0.8}});
  for (const auto& [name, expected] : lora_golden("merged_weights_samples_lora0.8.safetensors")) {
    const bool in_unet = name.rfind("unet.", 0) == 0;
    const auto param = name.substr(name.find('.') + 1);
    const auto& actual = (in_unet ? sd_.unet_weights : sd_.text_encoder_weights).at(param);
    EXPECT_TRUE(all_close(actual, expected.reshape(actual.sizes()), 1e-6, 1e-6)) << name;
  }
}

TEST_F(LoraGolden, TheTextEncoderMatchesTheReference) {
  sd_.loras.apply({{tiny_lora(), 0.8}});
  const auto g = lora_golden("text_encoder_lora0.8.safetensors");
  const auto out = sd_.text_encoder.forward(g.at("input_ids"), true);
  EXPECT_TRUE(all_close(out.last_hidden_state, g.at("last_hidden_state")));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(all_close(out.hidden_states[i], g.at("hidden_states." + std::to_string(i)))) << i;
  }
}

TEST_F(LoraGolden, TheUNetMatchesTheReference) {
  sd_.loras.apply({{tiny_lora(), 0.8}});
  const auto g = lora_golden("unet_lora0.8.safetensors");
  const auto out =
      sd_.unet.forward(g.at("sample"), g.at("timestep"), g.at("encoder_hidden_states"));
  EXPECT_TRUE(all_close(out, g.at("out")));
}

TEST_F(LoraGolden, SwitchingLorasNeverReloadsTheBaseModel) {
  const auto g = lora_golden("text_encoder_lora0.8.safetensors");
  const auto ids = g.at("input_ids");
  const auto base = sd_.text_encoder.forward(ids).last_hidden_state;
  const auto lora = tiny_lora();

  sd_.loras.apply({{lora, 0.8}});
  const auto with = sd_.text_encoder.forward(ids).last_hidden_state;
  EXPECT_TRUE(all_close(with, g.at("last_hidden_state")));
  // Another weight, then the same LoRA as two halves: each a merge from the base weights.
  sd_.loras.apply({{lora, 0.3}});
  EXPECT_FALSE(all_close(sd_.text_encoder.forward(ids).last_hidden_state, with));
  sd_.loras.apply({{lora, 0.4}, {lora, 0.4}});
  EXPECT_TRUE(all_close(sd_.text_encoder.forward(ids).last_hidden_state, with, 1e-5, 1e-5));
  // None: the base model's weights again, bit for bit.
  sd_.loras.apply({});
  EXPECT_TRUE(at::equal(sd_.text_encoder.forward(ids).last_hidden_state, base));
  const auto reference = testing::golden("tiny-sd1", "text_encoder.safetensors");
  EXPECT_TRUE(all_close(base, reference.at("last_hidden_state")));
}

TEST(LoraRefusal, ALoraForAnotherModelIsRefusedBeforeAnythingChanges) {
  // tiny-sd2's text encoder has the LoRA's layers; its UNet's blocks are of other sizes.
  Tiny sd2("tiny-sd2");
  std::map<std::string, at::Tensor> before;
  for (const auto* weights : {&sd2.text_encoder_weights, &sd2.unet_weights}) {
    for (const auto& [name, weight] : *weights) before[name] = weight.clone();
  }
  try {
    sd2.loras.apply({{tiny_lora(), 0.8}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "loras");
    EXPECT_NE(std::string(e.what()).find("tiny-sd1-lora.safetensors"), std::string::npos)
        << e.what();
  }
  for (const auto* weights : {&sd2.text_encoder_weights, &sd2.unet_weights}) {
    for (const auto& [name, weight] : *weights) EXPECT_TRUE(at::equal(weight, before.at(name)));
  }
}

class LoraPipeline : public ::testing::TestWithParam<bool> {};

TEST_P(LoraPipeline, EveryStepAndTheImageMatchTheReference) {
  const auto folder = read_model_folder(model_dir("tiny-sd1"));
  StableDiffusion sd(
      GetParam() ? read_checkpoint_model(testing::checkpoint_path("tiny-sd1")) : folder, at::kFloat,
      false);
  const auto g = lora_golden("pipe_euler_lora0.8.safetensors");
  const std::string prompt = "a photograph of an astronaut riding a horse";
  const std::string negative = "blurry, low quality, watermark";
  const auto base = sd.condition(prompt, negative, true, 64, 64).context;

  sd.apply_loras({{tiny_lora(), 0.8}});
  const auto conditioning = sd.condition(prompt, negative, true, 64, 64);
  EXPECT_LT(relative_to_max(conditioning.context, g.at("encoder_hidden_states")), 1e-4);
  auto scheduler = make_scheduler(SchedulerKind::euler, folder.scheduler, 4);
  auto noise = noise_generator(1234);
  int steps = 0;
  DenoiseCallbacks callbacks;
  callbacks.on_step = [&](const StepRecord& r) {
    const auto key = "step" + std::to_string(r.step) + ".";
    EXPECT_LT(relative_to_max(r.unet_out, g.at(key + "unet_out")), 1e-4) << key << "unet_out";
    EXPECT_LT(relative_to_max(r.guided, g.at(key + "noise_pred_cfg")), 1e-4) << key << "cfg";
    EXPECT_LT(relative_to_max(r.latents_out, g.at(key + "latents_out")), 1e-4) << key << "latents";
    ++steps;
  };
  const auto latents = sd.denoise(g.at("latents_in") * scheduler->init_noise_sigma(), conditioning,
                                  7.5, *scheduler, noise, callbacks);
  EXPECT_EQ(steps, 4);
  const auto image = sd.decode(latents, false).permute({0, 2, 3, 1});
  EXPECT_LT((image - g.at("image")).abs().max().item<double>(), 1e-3);

  // Without it again: the base model's conditioning, bit for bit.
  sd.apply_loras({});
  EXPECT_TRUE(at::equal(sd.condition(prompt, negative, true, 64, 64).context, base));
}

std::string layout_name(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "checkpoint" : "folder";
}

INSTANTIATE_TEST_SUITE_P(FolderAndCheckpoint, LoraPipeline, ::testing::Bool(), layout_name);

// The code of the error a generation fails with, if it does.
std::optional<ErrorCode> failure(const DiffusionModel& model, const ImageRequest& request) {
  try {
    model.generate(request, nullptr, nullptr);
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

TEST(LoraEngine, AGenerationMergesItsLorasAndOneWithoutThemIsTheBaseModels) {
  const DiffusionModel model(read_model_folder(model_dir("tiny-sd1")), EngineOptions{});
  ImageRequest request;
  request.prompt = "a red fox";
  request.width = 64;
  request.height = 48;
  request.steps = 3;
  request.seed = 3;
  const auto base = model.generate(request, nullptr, nullptr);
  request.loras = {{lora_dir() + "/tiny-sd1-lora.safetensors", 0.8}};
  const auto with = model.generate(request, nullptr, nullptr);
  EXPECT_NE(with.rgb, base.rgb);
  EXPECT_EQ(model.generate(request, nullptr, nullptr).rgb, with.rgb);
  request.loras.clear();
  EXPECT_EQ(model.generate(request, nullptr, nullptr).rgb, base.rgb);
  if (bfloat16_supported()) {
    // Merged in float32, stored in the model's bfloat16.
    const DiffusionModel bf16(read_model_folder(model_dir("tiny-sd1")), EngineOptions{true, false});
    const auto base16 = bf16.generate(request, nullptr, nullptr);
    request.loras = {{lora_dir() + "/tiny-sd1-lora.safetensors", 0.8}};
    EXPECT_NE(bf16.generate(request, nullptr, nullptr).rgb, base16.rgb);
    request.loras.clear();
    EXPECT_EQ(bf16.generate(request, nullptr, nullptr).rgb, base16.rgb);
  }

  request.loras = {{lora_dir() + "/missing.safetensors", 1}};
  EXPECT_EQ(failure(model, request), ErrorCode::model_error);
  const DiffusionModel other(read_model_folder(model_dir("tiny-sd2")), EngineOptions{});
  request.loras = {{lora_dir() + "/tiny-sd1-lora.safetensors", 0.8}};
  EXPECT_EQ(failure(other, request), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace rendermart::diffusion
