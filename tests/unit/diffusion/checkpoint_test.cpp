// Single-file checkpoints in the original layout (tests/fixtures/single-file): tiny-sd1 as
// diffusers' own conversion script writes it, tiny-sd2 in SD 2.x's OpenCLIP layout. Each must be
// the same model as its diffusers folder: the same architecture read from the tensors, every
// weight the same, and (pipeline_test.cpp) the same pictures.

#include "diffusion/checkpoint_layout.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/weights.hpp"
#include "golden.hpp"
#include "model_error.hpp"

namespace rendermart::diffusion {
namespace {

namespace fs = std::filesystem;

using testing::checkpoint_path;
using testing::model_dir;
using testing::model_error_of;

class Checkpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(Checkpoint, HasTheArchitectureOfTheFolder) {
  const auto folder = read_model_folder(model_dir(GetParam()));
  const auto file = read_checkpoint_model(checkpoint_path(GetParam()));
  EXPECT_TRUE(file.checkpoint);
  EXPECT_EQ(file.id, GetParam());

  const auto& a = file.text_encoder;
  const auto& b = folder.text_encoder;
  EXPECT_EQ(std::tie(a.vocab_size, a.hidden_size, a.intermediate_size, a.layers, a.heads,
                     a.max_positions, a.quick_gelu, a.eos_token_id),
            std::tie(b.vocab_size, b.hidden_size, b.intermediate_size, b.layers, b.heads,
                     b.max_positions, b.quick_gelu, b.eos_token_id));

  const auto& u = file.unet;
  const auto& v = folder.unet;
  EXPECT_EQ(std::tie(u.in_channels, u.out_channels, u.block_out_channels, u.mid_heads,
                     u.mid_transformer_layers, u.cross_attention_dim, u.linear_projection),
            std::tie(v.in_channels, v.out_channels, v.block_out_channels, v.mid_heads,
                     v.mid_transformer_layers, v.cross_attention_dim, v.linear_projection));
  ASSERT_EQ(u.down_blocks.size(), v.down_blocks.size());
  for (std::size_t i = 0; i < u.down_blocks.size(); ++i) {
    for (const auto& [x, y] : {std::pair(u.down_blocks[i], v.down_blocks[i]),
                               std::pair(u.up_blocks[i], v.up_blocks[i])}) {
      EXPECT_EQ(std::tie(x.cross_attention, x.layers, x.in_channels, x.out_channels,
                         x.prev_out_channels, x.heads, x.transformer_layers, x.resample),
                std::tie(y.cross_attention, y.layers, y.in_channels, y.out_channels,
                         y.prev_out_channels, y.heads, y.transformer_layers, y.resample))
          << "block " << i;
    }
  }
  EXPECT_EQ(std::tie(file.vae.block_out_channels, file.vae.layers_per_block,
                     file.vae.latent_channels, file.vae.scaling_factor),
            std::tie(folder.vae.block_out_channels, folder.vae.layers_per_block,
                     folder.vae.latent_channels, folder.vae.scaling_factor));
  EXPECT_EQ(file.scheduler.prediction_type, folder.scheduler.prediction_type);
  EXPECT_EQ(file.scheduler.beta_schedule, folder.scheduler.beta_schedule);
  EXPECT_DOUBLE_EQ(file.scheduler.beta_end, folder.scheduler.beta_end);
}

TEST_P(Checkpoint, GivesEveryWeightOfTheFolderExactly) {
  const auto folder = read_model_folder(model_dir(GetParam()));
  const auto model = read_checkpoint_model(checkpoint_path(GetParam()));
  const auto file = std::make_shared<SafetensorsFile>(model.path);
  const CheckpointConfigs configs{model.text_encoder, model.unet, model.vae, model.scheduler,
                                  !model.text_encoder.quick_gelu};
  std::size_t compared = 0;
  for (const auto& [path, component] :
       {std::pair(folder.text_encoder_path() + "/model.safetensors",
                  CheckpointComponent::text_encoder),
        std::pair(folder.unet_path() + "/diffusion_pytorch_model.safetensors",
                  CheckpointComponent::unet),
        std::pair(folder.vae_path() + "/diffusion_pytorch_model.safetensors",
                  CheckpointComponent::vae)}) {
    SafetensorsWeights expected({path});
    CheckpointWeights actual(file, component, configs);
    const SafetensorsFile reference(path);
    for (const auto& [name, stored] : reference.tensors()) {
      if (name == "text_model.embeddings.position_ids") continue;
      ASSERT_TRUE(actual.has(name)) << name;
      const auto want = expected.get(name, stored.shape, at::kFloat);
      const auto got = actual.get(name, stored.shape, at::kFloat);
      EXPECT_TRUE(at::equal(got, want)) << name;
      ++compared;
    }
  }
  EXPECT_GT(compared, 300u);
  // Loading views the mapping: no weight is copied when the dtype is the stored one.
  CheckpointWeights unet(file, CheckpointComponent::unet, configs);
  const auto& stored = file->tensors().at("model.diffusion_model.input_blocks.0.0.weight");
  const auto conv_in = unet.get("conv_in.weight", stored.shape, at::kFloat);
  if (stored.type == StoredType::f32) {
    EXPECT_EQ(conv_in.data_ptr(), file->data(stored));
  }
}

TEST_P(Checkpoint, AScanOfTheModelsFolderListsTheFile) {
  const auto dir =
      fs::temp_directory_path() / ("rendermart-checkpoints-" + std::to_string(::getpid()));
  fs::create_directories(dir / ".partial" / "half-done");
  fs::copy_file(checkpoint_path(GetParam()), dir / (GetParam() + ".safetensors"));
  fs::copy_file(fs::path(checkpoint_path(GetParam())).replace_extension(".rendermart.json"),
                dir / (GetParam() + ".rendermart.json"));
  // The same id as a folder too: the second one is refused, with the reason.
  fs::create_directory_symlink(model_dir(GetParam()), dir / GetParam());
  const auto scan = scan_models(dir.string());
  fs::remove_all(dir);
  ASSERT_EQ(scan.models.size(), 1u);
  EXPECT_EQ(scan.models[0].id, GetParam());
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_NE(scan.problems[0].find("is already"), std::string::npos) << scan.problems[0];
}

INSTANTIATE_TEST_SUITE_P(Models, Checkpoint, ::testing::Values("tiny-sd1", "tiny-sd2"));

// A .safetensors file with the given (float32, shape [1]) tensors.
void write_checkpoint(const fs::path& path, const std::vector<std::string>& names) {
  std::string header = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    header += (i ? "," : "") + ("\"" + names[i] + "\":{\"dtype\":\"F32\",\"shape\":[1],") +
              "\"data_offsets\":[" + std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  }
  header += "}";
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << std::string(4 * names.size(), '\0');
}

TEST(CheckpointErrors, OtherFilesAreRefusedWithTheReason) {
  const auto dir =
      fs::temp_directory_path() / ("rendermart-bad-checkpoints-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_checkpoint(dir / "sdxl.safetensors",
                   {"model.diffusion_model.input_blocks.0.0.weight",
                    "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight"});
  write_checkpoint(dir / "lora.safetensors",
                   {"lora_unet_down_blocks_0_attentions_0_proj_in.alpha"});
  EXPECT_NE(model_error_of([&] {
              read_checkpoint_model((dir / "sdxl.safetensors").string());
            }).find("SDXL"),
            std::string::npos);
  EXPECT_NE(model_error_of([&] {
              read_checkpoint_model((dir / "lora.safetensors").string());
            }).find("no UNet"),
            std::string::npos);
  // Without its settings, tiny-sd1's 32-wide text encoder has an unknown number of heads.
  fs::copy_file(checkpoint_path("tiny-sd1"), dir / "tiny.safetensors");
  EXPECT_NE(model_error_of([&] {
              read_checkpoint_model((dir / "tiny.safetensors").string());
            }).find("text_encoder_heads"),
            std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rendermart::diffusion
