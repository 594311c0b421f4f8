// Discovery and the errors of broken models: a missing file, an unsupported architecture and a
// corrupt or truncated weight file are each an Error(model_error) that names the problem, never a
// crash, and the models folder scan skips such a model with the reason.

#include "diffusion/model_folder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "diffusion/engine.hpp"
#include "diffusion/safetensors_file.hpp"
#include "golden.hpp"
#include "model_error.hpp"

namespace rendermart::diffusion {
namespace {

namespace fs = std::filesystem;
using testing::model_error_of;

// A scratch copy of a fixture model, removed afterwards.
class ModelCopy {
 public:
  explicit ModelCopy(const std::string& model) {
    root_ = fs::temp_directory_path() /
            ("rendermart-models-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(root_);
    path_ = root_ / model;
    fs::copy(testing::model_dir(model), path_, fs::copy_options::recursive);
    fs::remove_all(path_ / "golden");
  }
  ~ModelCopy() { fs::remove_all(root_); }
  std::string path() const { return path_.string(); }
  std::string root() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ModelFolder, ReadsBothFixtureArchitectures) {
  const auto sd1 = read_model_folder(testing::model_dir("tiny-sd1"));
  EXPECT_EQ(sd1.id, "tiny-sd1");
  EXPECT_EQ(sd1.vae_scale_factor(), 2);
  EXPECT_EQ(sd1.native_size(), 64);
  EXPECT_EQ(sd1.unet.down_blocks[0].heads, 8);  // legacy attention_head_dim = heads
  EXPECT_EQ(sd1.scheduler.class_name, "PNDMScheduler");
  EXPECT_EQ(sd1.scheduler_kind, SchedulerKind::dpmpp_2m_karras);  // PNDM is not offered
  EXPECT_GT(sd1.weight_bytes, 10'000'000u);
  const auto sd2 = read_model_folder(testing::model_dir("tiny-sd2"));
  EXPECT_EQ(sd2.vae_scale_factor(), 8);
  EXPECT_EQ(sd2.scheduler.prediction_type, "v_prediction");
  EXPECT_EQ(sd2.scheduler_kind, SchedulerKind::ddim);
  EXPECT_EQ(sd2.unet.up_blocks[2].heads, 2);  // up blocks take the reversed head counts
}

TEST(ModelFolder, AMissingFileIsNamed) {
  ModelCopy copy("tiny-sd1");
  fs::remove(fs::path(copy.path()) / "unet" / "diffusion_pytorch_model.safetensors");
  const auto message = model_error_of([&] { read_model_folder(copy.path()); });
  EXPECT_NE(message.find("unet/diffusion_pytorch_model.safetensors"), std::string::npos) << message;

  ModelCopy second("tiny-sd1");
  fs::remove(fs::path(second.path()) / "tokenizer" / "merges.txt");
  EXPECT_NE(model_error_of([&] { read_model_folder(second.path()); }).find("merges.txt"),
            std::string::npos);
}

TEST(ModelFolder, AnUnsupportedArchitectureIsRefusedAtDiscovery) {
  ModelCopy copy("tiny-sd1");
  const auto config_path = fs::path(copy.path()) / "unet" / "config.json";
  auto config = nlohmann::json::parse(read_file(config_path));
  config["addition_embed_type"] = "text_image";  // Kandinsky
  write_file(config_path, config.dump());
  auto message = model_error_of([&] { read_model_folder(copy.path()); });
  EXPECT_NE(message.find("addition_embed_type"), std::string::npos) << message;

  config["addition_embed_type"] = nullptr;
  config["down_block_types"] = {"SimpleCrossAttnDownBlock2D", "DownBlock2D"};
  write_file(config_path, config.dump());
  message = model_error_of([&] { read_model_folder(copy.path()); });
  EXPECT_NE(message.find("SimpleCrossAttnDownBlock2D"), std::string::npos) << message;

  ModelCopy pipeline("tiny-sd1");
  write_file(fs::path(pipeline.path()) / "model_index.json",
             R"({"_class_name": "StableDiffusion3Pipeline"})");
  EXPECT_NE(
      model_error_of([&] { read_model_folder(pipeline.path()); }).find("StableDiffusion3Pipeline"),
      std::string::npos);
}

TEST(ModelFolder, TruncatedAndCorruptWeightsAreRefused) {
  ModelCopy copy("tiny-sd1");
  const auto weights = fs::path(copy.path()) / "vae" / "diffusion_pytorch_model.safetensors";
  const auto bytes = read_file(weights);
  write_file(weights, bytes.substr(0, bytes.size() - 1000));
  auto message = model_error_of([&] { read_model_folder(copy.path()); });
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;

  auto corrupt = bytes;
  corrupt[10] = '\x01';  // inside the JSON header
  write_file(weights, corrupt);
  message = model_error_of([&] { read_model_folder(copy.path()); });
  EXPECT_NE(message.find("not a valid safetensors file"), std::string::npos) << message;

  write_file(weights, "12345");
  model_error_of([&] { read_model_folder(copy.path()); });
  write_file(weights, std::string(8, '\xff') + "{}");
  model_error_of([&] { read_model_folder(copy.path()); });
}

TEST(ModelFolder, WeightsOfAnotherShapeFailTheLoadNotTheProcess) {
  // The header is valid, but the tensor does not fit the architecture in config.json.
  ModelCopy copy("tiny-sd1");
  const auto config_path = fs::path(copy.path()) / "vae" / "config.json";
  auto config = nlohmann::json::parse(read_file(config_path));
  config["latent_channels"] = 8;
  config["block_out_channels"] = {32, 64};
  write_file(config_path, config.dump());
  ModelFolder folder;
  // The UNet takes 4 channels: refused at discovery.
  EXPECT_NE(model_error_of([&] { folder = read_model_folder(copy.path()); }).find("channels"),
            std::string::npos);
  config["latent_channels"] = 4;
  config["block_out_channels"] = {64, 64};
  write_file(config_path, config.dump());
  folder = read_model_folder(copy.path());
  const auto message = model_error_of([&] { DiffusionModel model(folder, EngineOptions{}); });
  EXPECT_NE(message.find("shape"), std::string::npos) << message;
}

TEST(ModelFolder, TheScanSkipsBrokenModelsWithTheirReason) {
  ModelCopy good("tiny-sd1");
  fs::copy(testing::model_dir("tiny-sd2"), fs::path(good.root()) / "broken",
           fs::copy_options::recursive);
  fs::remove(fs::path(good.root()) / "broken" / "vae" / "config.json");
  fs::create_directories(fs::path(good.root()) / "not-a-model");
  const auto scan = scan_models(good.root());
  ASSERT_EQ(scan.models.size(), 1u);
  EXPECT_EQ(scan.models[0].id, "tiny-sd1");
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_NE(scan.problems[0].find("vae/config.json"), std::string::npos) << scan.problems[0];
}

TEST(ModelFolder, RendermartJsonSetsDefaultsAndIsChecked) {
  ModelCopy copy("tiny-sd1");
  write_file(fs::path(copy.path()) / "rendermart.json",
             R"({"name": "Tiny", "steps": 3, "cfg_scale": 0, "scheduler": "euler_a"})");
  const auto folder = read_model_folder(copy.path());
  EXPECT_EQ(folder.settings.name, "Tiny");
  EXPECT_EQ(folder.settings.steps, 3);
  EXPECT_EQ(folder.scheduler_kind, SchedulerKind::euler_ancestral);
  write_file(fs::path(copy.path()) / "rendermart.json", R"({"scheduler": "pndm"})");
  EXPECT_NE(model_error_of([&] { read_model_folder(copy.path()); }).find("scheduler"),
            std::string::npos);
}

}  // namespace
}  // namespace rendermart::diffusion
