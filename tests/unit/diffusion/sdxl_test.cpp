// The SDXL family on tests/fixtures/diffusion-xl/tiny-sdxl against the reference's outputs: both
// tokenizers (ids exact), both text encoders and the prompt embedding, the size conditioning and
// its embedding, the UNet, the VAE, and three whole runs step by step (Euler with CFG and zero
// negative embeddings, SDXL-Turbo's one trailing Euler ancestral step, DPM++ 2M Karras at 64x96)
// within the tolerances of the SD 1.x / 2.x goldens; then discovery and a whole generation.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "diffusion/engine.hpp"
#include "diffusion/stable_diffusion.hpp"
#include "golden.hpp"
#include "model_error.hpp"

namespace rendermart::diffusion {
namespace {

namespace fs = std::filesystem;
using testing::all_close;
using testing::relative_to_max;

std::string sdxl_dir() {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-xl/tiny-sdxl";
}

// tiny-sdxl as one checkpoint in the original layout (tiny-sdxl-single-file/, made by
// make_single_file.py with diffusers' SDXL conversion script). The settings beside it give what
// the tensors cannot tell: the text encoders' heads and the UNet's head width. The tiny UNet has
// heads of 16 channels at level 1 and of 8 at level 2, which no single head width expresses
// (every SDXL release has 64 at every level): level 1 takes the folder's count.
ModelFolder read_sdxl_checkpoint() {
  auto model = read_checkpoint_model(sdxl_dir() + "-single-file/tiny-sdxl.safetensors");
  model.unet.down_blocks[1].heads = 2;
  model.unet.up_blocks[1].heads = 2;
  return model;
}

std::map<std::string, at::Tensor> sdxl_golden(const std::string& file) {
  return testing::load_golden(sdxl_dir() + "/golden/" + file);
}

// The prompts of golden/tokenizer.safetensors, by index (golden/cases.json).
const std::vector<std::string> kPrompts = {
    "a photograph of an astronaut riding a horse", "", "Ünïcödé café — naïve 東京 🚀 émoji!!",
    "a cozy wooden cabin in snowy mountains at dusk, warm light glowing in the windows, 35mm photo",
    "an intricate isometric diorama of a floating island village with tiny houses, windmills, "
    "waterfalls spilling into clouds, hot air balloons, winding stone paths, lanterns, fruit "
    "trees, a small harbor with sailboats, a lighthouse, bridges made of rope, soft volumetric "
    "morning light, pastel palette, octane render, tilt shift, ultra detailed, trending on "
    "artstation"};

at::Tensor ids_tensor(const std::vector<std::int64_t>& ids) {
  return at::tensor(ids, at::TensorOptions().dtype(at::kLong));
}

class Sdxl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new ModelFolder(read_model_folder(sdxl_dir()));
    model_ = new StableDiffusion(*folder_, at::kFloat, true);
    checkpoint_ = new StableDiffusion(read_sdxl_checkpoint(), at::kFloat, false);
  }
  static void TearDownTestSuite() {
    delete checkpoint_;
    delete model_;
    delete folder_;
  }
  static inline ModelFolder* folder_ = nullptr;
  static inline StableDiffusion* model_ = nullptr;
  static inline StableDiffusion* checkpoint_ = nullptr;  // the same model from its single file
};

TEST_F(Sdxl, TheFolderIsReadAsSdxl) {
  ASSERT_TRUE(folder_->sdxl());
  EXPECT_EQ(folder_->text_encoder_2->projection_dim, 40);
  EXPECT_TRUE(folder_->force_zeros_for_empty_prompt);
  EXPECT_DOUBLE_EQ(folder_->vae.scaling_factor, 0.13025);
  EXPECT_TRUE(folder_->vae.force_upcast);
  EXPECT_EQ(folder_->unet.addition_time_embed_dim, 8);
  EXPECT_EQ(folder_->native_size(), 64);
  // transformer_layers_per_block (1, 2, 3): down block i gets entry i, the mid block the last,
  // the up blocks the reversed list; the top level has no attention.
  EXPECT_FALSE(folder_->unet.down_blocks[0].cross_attention);
  EXPECT_EQ(folder_->unet.down_blocks[2].transformer_layers, 3);
  EXPECT_EQ(folder_->unet.mid_transformer_layers, 3);
  EXPECT_EQ(folder_->unet.up_blocks[0].transformer_layers, 3);
  EXPECT_EQ(folder_->unet.up_blocks[1].transformer_layers, 2);
  EXPECT_FALSE(folder_->unet.up_blocks[2].cross_attention);
  EXPECT_EQ(folder_->scheduler_kind, SchedulerKind::euler);
  EXPECT_GT(folder_->weight_bytes, 2'000'000u);
}

TEST_F(Sdxl, BothTokenizersGiveTheReferenceIds) {
  const auto g = sdxl_golden("tokenizer.safetensors");
  const auto& encoders = model_->prompt_encoders();
  ASSERT_EQ(encoders.size(), 2u);
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    for (int t = 0; t < 2; ++t) {
      const auto key = "prompt" + std::to_string(i) + ".tok" + std::to_string(t + 1) + ".";
      const auto& tokenizer = encoders[static_cast<std::size_t>(t)].tokenizer;
      EXPECT_TRUE(at::equal(ids_tensor(tokenizer.encode(kPrompts[i])), g.at(key + "ids"))) << key;
      EXPECT_TRUE(
          at::equal(ids_tensor(tokenizer.encode_padded(kPrompts[i], 77)), g.at(key + "ids_77")))
          << key;
    }
  }
}

TEST_F(Sdxl, TextEncodersMatchEveryStateAndThePromptEmbedding) {
  const auto g = sdxl_golden("text_encoders.safetensors");
  const auto& encoders = model_->prompt_encoders();
  for (int t = 0; t < 2; ++t) {
    const auto te = "te" + std::to_string(t + 1) + ".";
    const auto out =
        encoders[static_cast<std::size_t>(t)].encoder->forward(g.at(te + "input_ids"), true);
    for (std::size_t i = 0; i < out.hidden_states.size(); ++i) {
      EXPECT_TRUE(all_close(out.hidden_states[i], g.at(te + "hidden_states." + std::to_string(i))))
          << te << i;
    }
    EXPECT_EQ(out.hidden_states.size(), t == 0 ? 3u : 4u);
    EXPECT_TRUE(all_close(out.last_hidden_state, g.at(te + "last_hidden_state"))) << te;
    EXPECT_TRUE(all_close(out.pooled, g.at(te + "pooler_output"))) << te;
    if (t == 1) {
      EXPECT_TRUE(all_close(out.text_embeds, g.at("te2.text_embeds")));
    } else {
      EXPECT_FALSE(out.text_embeds.defined());
    }
  }
  for (int p = 0; p < 2; ++p) {
    const auto embedding = model_->encode_prompt(kPrompts[static_cast<std::size_t>(3 + p)]);
    EXPECT_TRUE(all_close(embedding.hidden, g.at("prompt_embeds").narrow(0, p, 1))) << p;
    EXPECT_TRUE(all_close(embedding.pooled, g.at("pooled_prompt_embeds").narrow(0, p, 1))) << p;
  }
}

TEST_F(Sdxl, SizeConditioningAndItsEmbeddingMatch) {
  const auto g = sdxl_golden("add_time_ids.safetensors");
  const auto& unet = model_->unet();
  const auto& config = unet.config();
  const std::vector<std::pair<std::string, SizeConditioning>> cases = {
      {"default_64x64", {64, 64, 0, 0, 64, 64}}, {"crop_1024x768", {1024, 768, 48, 16, 64, 96}}};
  for (const auto& [name, sizes] : cases) {
    const auto ids = add_time_ids(sizes);
    EXPECT_TRUE(at::equal(ids, g.at(name + ".time_ids"))) << name;
    const auto time_embeds = size_embedding(ids, config.addition_time_embed_dim,
                                            config.flip_sin_to_cos, config.freq_shift);
    EXPECT_TRUE(all_close(time_embeds, g.at(name + ".time_embeds"))) << name;
    EXPECT_TRUE(
        all_close(at::cat({g.at("text_embeds"), time_embeds}, -1), g.at(name + ".add_embeds")))
        << name;
    EXPECT_TRUE(
        all_close(unet.text_time_embedding({g.at("text_embeds"), ids}), g.at(name + ".aug_emb")))
        << name;
  }
}

TEST_F(Sdxl, UNetMatchesWithItsTimeAndTextEmbeddings) {
  const auto g = sdxl_golden("unet.safetensors");
  const auto& unet = model_->unet();
  const auto& config = unet.config();
  EXPECT_TRUE(all_close(timestep_embedding(g.at("timestep"), config.block_out_channels[0],
                                           config.flip_sin_to_cos, config.freq_shift),
                        g.at("intermediate.time_proj")));
  EXPECT_TRUE(all_close(size_embedding(g.at("time_ids"), config.addition_time_embed_dim,
                                       config.flip_sin_to_cos, config.freq_shift)
                            .reshape({-1, config.addition_time_embed_dim}),
                        g.at("intermediate.add_time_proj")));
  const TextTimeConditions added{g.at("text_embeds"), g.at("time_ids")};
  EXPECT_TRUE(all_close(unet.text_time_embedding(added), g.at("intermediate.add_embedding")));
  const auto out =
      unet.forward(g.at("sample"), g.at("timestep"), g.at("encoder_hidden_states"), {}, added);
  EXPECT_TRUE(all_close(out, g.at("out")));
}

TEST_F(Sdxl, VaeDecoderAndEncoderMatch) {
  const auto dec = sdxl_golden("vae_decoder.safetensors");
  EXPECT_TRUE(all_close(model_->vae().decode(dec.at("z")), dec.at("out")));
  // decode() divides by the config's scaling factor (0.13025).
  const auto image = model_->decode(dec.at("latents"), false).permute({0, 2, 3, 1});
  EXPECT_LT((image - dec.at("image")).abs().max().item<double>(), 1e-4);
  const auto enc = sdxl_golden("vae_encoder.safetensors");
  const auto dist = model_->vae().encode(enc.at("image"));
  EXPECT_TRUE(all_close(dist.mean, enc.at("mean")));
  EXPECT_TRUE(all_close(dist.logvar, enc.at("logvar")));
  // encode() samples the distribution with the generator's next draw, then scales it.
  auto generator = noise_generator(7);
  auto same_seed = noise_generator(7);
  const auto eps = at::randn(dist.mean.sizes(), same_seed, at::TensorOptions().dtype(at::kFloat));
  EXPECT_TRUE(all_close(model_->encode(enc.at("image"), generator),
                        enc.at("mean_scaled") + enc.at("std") * eps * 0.13025));
}

struct RunCase {
  std::string file;
  SchedulerKind kind;
  std::optional<std::string> spacing;  // the run's timestep_spacing when not the model's
  int steps;
  double guidance;
  std::string prompt;
  std::string negative;
  int height;
  int width;
  std::uint64_t generator_seed;
  bool checkpoint = false;  // the model's single-file checkpoint instead of its folder
};

std::string run_name(const ::testing::TestParamInfo<RunCase>& info) {
  return info.param.file + (info.param.checkpoint ? "_checkpoint" : "");
}

class SdxlRun : public Sdxl, public ::testing::WithParamInterface<RunCase> {};

TEST_P(SdxlRun, EveryStepAndTheImageMatchTheReference) {
  const auto& c = GetParam();
  const auto* model = c.checkpoint ? checkpoint_ : model_;
  const auto g = sdxl_golden("pipe_" + c.file + ".safetensors");
  auto config = folder_->scheduler;
  if (c.spacing) config.timestep_spacing = *c.spacing;
  auto scheduler = make_scheduler(c.kind, config, c.steps);
  ASSERT_EQ(scheduler->timesteps().size(), static_cast<std::size_t>(c.steps));
  for (int i = 0; i < c.steps; ++i) {
    EXPECT_NEAR(scheduler->timesteps()[static_cast<std::size_t>(i)],
                g.at("timesteps")[i].item<double>(), 1e-3)
        << "timestep " << i;
  }
  const bool guidance = model->guidance_on(c.guidance);
  const auto conditioning = model->condition(c.prompt, c.negative, guidance, c.height, c.width);
  EXPECT_LT(relative_to_max(conditioning.context, g.at("encoder_hidden_states")), 1e-4);
  EXPECT_LT(relative_to_max(conditioning.added.text_embeds, g.at("add_text_embeds")), 1e-4);
  EXPECT_TRUE(at::equal(conditioning.added.time_ids, g.at("add_time_ids")));

  const auto latents = g.at("latents_in") * scheduler->init_noise_sigma();
  EXPECT_LT(relative_to_max(latents, g.at("latents_start")), 1e-6);
  auto noise = noise_generator(c.generator_seed);
  int steps = 0;
  DenoiseCallbacks callbacks;
  callbacks.on_step = [&](const StepRecord& r) {
    const auto key = "step" + std::to_string(r.step) + ".";
    EXPECT_NEAR(r.timestep, g.at(key + "timestep").item<double>(), 1e-3) << key;
    EXPECT_LT(relative_to_max(r.unet_in, g.at(key + "unet_in")), 1e-4) << key << "unet_in";
    EXPECT_LT(relative_to_max(r.unet_out, g.at(key + "unet_out")), 1e-4) << key << "unet_out";
    EXPECT_LT(relative_to_max(r.guided, g.at(key + "noise_pred_cfg")), 1e-4) << key << "cfg";
    EXPECT_LT(relative_to_max(r.latents_out, g.at(key + "latents_out")), 1e-4) << key << "latents";
    ++steps;
  };
  const auto final_latents =
      model->denoise(latents, conditioning, c.guidance, *scheduler, noise, callbacks);
  EXPECT_EQ(steps, c.steps);
  EXPECT_LT(relative_to_max(final_latents / folder_->vae.scaling_factor, g.at("vae_decode_in")),
            1e-4);
  const auto image = model->decode(final_latents, false).permute({0, 2, 3, 1});
  EXPECT_LT((image - g.at("image")).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    Pipelines, SdxlRun,
    ::testing::ValuesIn(std::vector<RunCase>{
        {"euler_cfg5", SchedulerKind::euler, std::nullopt, 4, 5.0, kPrompts[3], "", 64, 64, 0},
        {"euler_a_turbo", SchedulerKind::euler_ancestral, "trailing", 1, 0.0,
         "a cinematic photo of a red panda wearing a tiny scarf", "", 64, 64, 7},
        {"dpmpp_2m_karras_64x96", SchedulerKind::dpmpp_2m_karras, std::nullopt, 5, 6.0,
         "an art deco poster of a steam locomotive crossing a viaduct, bold geometric shapes",
         "blurry, deformed, text, watermark", 64, 96, 0},
        {"euler_cfg5", SchedulerKind::euler, std::nullopt, 4, 5.0, kPrompts[3], "", 64, 64, 0,
         true},
        {"euler_a_turbo", SchedulerKind::euler_ancestral, "trailing", 1, 0.0,
         "a cinematic photo of a red panda wearing a tiny scarf", "", 64, 64, 7, true}}),
    run_name);

TEST_F(Sdxl, TheTurboRunDrawsTheReferencesAncestralNoise) {
  const auto g = sdxl_golden("pipe_euler_a_turbo.safetensors");
  auto noise = noise_generator(7);
  const auto drawn = at::randn({1, 4, 32, 32}, noise, at::TensorOptions().dtype(at::kFloat));
  EXPECT_TRUE(testing::same_noise(drawn, g.at("step0.ancestral_noise")));
  auto latents = noise_generator(90210);
  EXPECT_TRUE(
      testing::same_noise(at::randn({1, 4, 32, 32}, latents, at::TensorOptions().dtype(at::kFloat)),
                          g.at("latents_in")));
}

TEST(SdxlBFloat16, StaysCloseAndDecodesInFloat32) {
  if (!bfloat16_supported()) GTEST_SKIP() << "bfloat16 needs AVX-512 BF16";
  const auto folder = read_model_folder(sdxl_dir());
  const StableDiffusion model(folder, at::kBFloat16, false);
  // bfloat16 keeps 8 bits of mantissa: the UNet's output moves by about 1% of its range.
  const auto g = sdxl_golden("unet.safetensors");
  const auto out =
      model.unet().forward(g.at("sample"), g.at("timestep"), g.at("encoder_hidden_states"), {},
                           {g.at("text_embeds"), g.at("time_ids")});
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  EXPECT_LT(relative_to_max(out, g.at("out")), 0.05);
  const auto te = sdxl_golden("text_encoders.safetensors");
  const auto embedding = model.encode_prompt(kPrompts[3]);
  EXPECT_LT(relative_to_max(embedding.hidden, te.at("prompt_embeds").narrow(0, 0, 1)), 0.05);
  EXPECT_LT(relative_to_max(embedding.pooled, te.at("pooled_prompt_embeds").narrow(0, 0, 1)), 0.05);
  // The VAE (force_upcast) runs in float32: its output is the float32 reference's.
  const auto dec = sdxl_golden("vae_decoder.safetensors");
  EXPECT_TRUE(all_close(model.vae().decode(dec.at("z")), dec.at("out")));
}

// A scratch models folder, removed afterwards.
class ScratchDir {
 public:
  ScratchDir()
      : path_(fs::temp_directory_path() / ("rendermart-sdxl-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void copy_model(const fs::path& to) {
  fs::copy(sdxl_dir(), to, fs::copy_options::recursive);
  fs::remove_all(to / "golden");
}

// A TAESD folder whose decoder upsamples by `factor` (its weights are not read at discovery).
void write_taesd(const fs::path& dir, int factor) {
  fs::create_directories(dir);
  const auto taesd =
      std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion-extra/tiny-taesd";
  auto config = read_json_file(taesd + "/config.json");
  config["upsampling_scaling_factor"] = factor;
  config["num_decoder_blocks"] = {3, 1};
  config["decoder_block_out_channels"] = {16, 16};
  std::ofstream(dir / "config.json") << config.dump();
  fs::copy_file(taesd + "/diffusion_pytorch_model.safetensors",
                dir / "diffusion_pytorch_model.safetensors");
}

TEST(SdxlDiscovery, TheScanFindsItAndGivesItTaesdxlNotTaesd) {
  ScratchDir dir;
  copy_model(dir.path() / "tiny-sdxl");
  write_taesd(dir.path() / "taesd", 2);
  auto scan = scan_models(dir.path().string());
  ASSERT_EQ(scan.models.size(), 1u) << (scan.problems.empty() ? "" : scan.problems.front());
  EXPECT_TRUE(scan.models[0].sdxl());
  EXPECT_FALSE(scan.models[0].taesd);  // SD's TAESD does not know SDXL's latent space

  write_taesd(dir.path() / "taesdxl", 2);
  scan = scan_models(dir.path().string());
  ASSERT_EQ(scan.models.size(), 1u);
  EXPECT_EQ(scan.models[0].taesd_path, (dir.path() / "taesdxl").string());

  fs::remove_all(dir.path() / "taesdxl");
  write_taesd(dir.path() / "tiny-sdxl" / "taesdxl", 2);
  EXPECT_EQ(read_model_folder((dir.path() / "tiny-sdxl").string()).taesd_path,
            (dir.path() / "tiny-sdxl" / "taesdxl").string());
}

TEST(SdxlDiscovery, TheCheckpointIsReadAsTheFolder) {
  const auto folder = read_model_folder(sdxl_dir());
  const auto checkpoint = read_sdxl_checkpoint();
  ASSERT_TRUE(checkpoint.sdxl());
  EXPECT_TRUE(checkpoint.checkpoint);
  EXPECT_TRUE(checkpoint.force_zeros_for_empty_prompt);
  EXPECT_DOUBLE_EQ(checkpoint.vae.scaling_factor, 0.13025);
  EXPECT_EQ(checkpoint.text_encoder.layers, folder.text_encoder.layers);
  EXPECT_TRUE(checkpoint.text_encoder.quick_gelu);
  EXPECT_EQ(checkpoint.text_encoder_2->layers, 3);  // all of them: SDXL takes the penultimate
  EXPECT_FALSE(checkpoint.text_encoder_2->quick_gelu);
  EXPECT_EQ(checkpoint.text_encoder_2->projection_dim, 40);
  EXPECT_EQ(checkpoint.unet.addition_time_embed_dim, 8);
  EXPECT_EQ(checkpoint.unet.projection_class_embeddings_input_dim, 88);
  EXPECT_EQ(checkpoint.unet.cross_attention_dim, 64);
  EXPECT_TRUE(checkpoint.unet.linear_projection);
  for (std::size_t i = 0; i < folder.unet.down_blocks.size(); ++i) {
    EXPECT_EQ(checkpoint.unet.down_blocks[i].cross_attention,
              folder.unet.down_blocks[i].cross_attention);
    EXPECT_EQ(checkpoint.unet.down_blocks[i].transformer_layers,
              folder.unet.down_blocks[i].transformer_layers);
    EXPECT_EQ(checkpoint.unet.up_blocks[i].transformer_layers,
              folder.unet.up_blocks[i].transformer_layers);
  }
  EXPECT_EQ(checkpoint.unet.mid_heads, folder.unet.mid_heads);
  EXPECT_EQ(checkpoint.unet.mid_transformer_layers, 3);
  EXPECT_EQ(checkpoint.scheduler.timestep_spacing, folder.scheduler.timestep_spacing);
  EXPECT_EQ(checkpoint.scheduler.steps_offset, folder.scheduler.steps_offset);
  EXPECT_EQ(checkpoint.weight_bytes, folder.weight_bytes);
}

TEST(SdxlDiscovery, AnSdxlFolderMissingItsSecondEncoderIsRefused) {
  ScratchDir dir;
  const auto model = dir.path() / "tiny-sdxl";
  copy_model(model);
  fs::remove(model / "text_encoder_2" / "config.json");
  const auto message = testing::model_error_of([&] { read_model_folder(model.string()); });
  EXPECT_NE(message.find("text_encoder_2/config.json"), std::string::npos) << message;
}

TEST(SdxlEngine, GeneratesAnImageWithGuidanceAndWithout) {
  const DiffusionModel model(read_model_folder(sdxl_dir()), {});
  ImageRequest request;
  request.prompt = "a red fox";
  request.width = 96;
  request.height = 64;
  request.steps = 3;
  request.guidance_scale = 5;
  request.scheduler = SchedulerKind::euler;
  int steps = 0;
  const auto image = model.generate(
      request, [&](const StepProgress&) { ++steps; }, nullptr);
  EXPECT_EQ(steps, 3);
  EXPECT_EQ(image.width, 96);
  EXPECT_EQ(image.height, 64);
  EXPECT_EQ(image.rgb.size(), 96u * 64u * 3u);
  request.guidance_scale = 0;
  request.steps = 1;
  request.scheduler = SchedulerKind::euler_ancestral;
  const auto turbo = model.generate(request, nullptr, nullptr);
  EXPECT_EQ(turbo.rgb.size(), image.rgb.size());
  EXPECT_NE(turbo.rgb, image.rgb);
}

}  // namespace
}  // namespace rendermart::diffusion
