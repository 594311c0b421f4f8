// The family scan_lora_files gives a LoRA: from kohya's metadata, from its text encoders and the
// widths of its layers, and, for an SDXL LoRA that adapts no cross-attention and no text encoder,
// from the original layout's UNet names that kohya gives SDXL's layers.

#include "providers/local/lora_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace rendermart {
namespace {

namespace fs = std::filesystem;

// A .safetensors file of float16 zeros: (name, shape) each.
void write_lora(const fs::path& path,
                const std::vector<std::pair<std::string, std::vector<int>>>& tensors) {
  std::string header = "{";
  std::size_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    std::size_t bytes = 2;
    std::string dims;
    for (const auto d : shape) {
      bytes *= static_cast<std::size_t>(d);
      dims += (dims.empty() ? "" : ",") + std::to_string(d);
    }
    header += (header.size() > 1 ? "," : "") + ("\"" + name + "\":{\"dtype\":\"F16\",\"shape\":[") +
              dims + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << std::string(offset, '\0');
}

std::vector<std::pair<std::string, std::vector<int>>> module(const std::string& name, int in,
                                                             int out) {
  return {{name + ".lora_down.weight", {4, in}}, {name + ".lora_up.weight", {out, 4}}};
}

TEST(LoraFiles, SdxlLorasAreFoundSdxlInEachOfTheirForms) {
  const auto dir =
      fs::temp_directory_path() / ("rendermart-lora-files-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // kohya's SDXL file with its metadata (the committed tiny one).
  fs::copy_file(std::string(RENDERMART_SOURCE_DIR) +
                    "/tests/fixtures/diffusion-xl/tiny-sdxl-lora/tiny-sdxl-lora.safetensors",
                dir / "kohya-sdxl.safetensors");
  // Without metadata: the cross-attention reads SDXL's 2048-wide text.
  write_lora(dir / "cross.safetensors",
             module("lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k", 2048, 640));
  // Self-attention only, by the original layout's names.
  write_lora(dir / "self.safetensors",
             module("lora_unet_output_blocks_0_1_transformer_blocks_0_attn1_to_q", 1280, 1280));
  // An SD 1.x LoRA by diffusers' names, and one by the original layout's that the width tells.
  write_lora(
      dir / "sd1.safetensors",
      module("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", 768, 320));
  write_lora(dir / "sd1-original.safetensors",
             module("lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k", 768, 320));
  std::map<std::string, std::string> families;
  for (const auto& lora : scan_lora_files(dir.string())) families[lora.name] = lora.family;
  fs::remove_all(dir);
  EXPECT_EQ(families, (std::map<std::string, std::string>{{"cross", "sdxl"},
                                                          {"kohya-sdxl", "sdxl"},
                                                          {"sd1", "sd1"},
                                                          {"sd1-original", "sd1"},
                                                          {"self", "sdxl"}}));
}

}  // namespace
}  // namespace rendermart
