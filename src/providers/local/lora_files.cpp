#include "providers/local/lora_files.hpp"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "diffusion/safetensors_file.hpp"

namespace rendermart {
namespace {

namespace fs = std::filesystem;

// The base model kohya's trainer records (ss_base_model_version: sd_v1, sd_v2_768_v,
// sdxl_base_v1-0 ...), else what the layers say: a second text encoder is SDXL's; otherwise the
// width of the text the cross-attention reads (768 CLIP ViT-L, 1024 OpenCLIP ViT-H, 2048 both
// of SDXL's) or of the text encoder's layers; failing those, UNet layers named by the original
// layout (lora_unet_input_blocks_...), which kohya's trainer gives SDXL's only (it names SD 1.x
// and 2.x layers as diffusers does).
std::string lora_family(const diffusion::SafetensorsFile& file) {
  if (const auto base = file.metadata().find("ss_base_model_version");
      base != file.metadata().end()) {
    if (base->second.starts_with("sdxl")) return "sdxl";
    if (base->second.starts_with("sd_v1")) return "sd1";
    if (base->second.starts_with("sd_v2")) return "sd2";
  }
  for (const auto& [name, tensor] : file.tensors()) {
    if (name.starts_with("lora_te1_") || name.starts_with("lora_te2_")) return "sdxl";
  }
  for (const auto& [name, tensor] : file.tensors()) {
    const bool text_width =
        name.starts_with("lora_te_") || name.find("attn2_to_k.lora_down") != std::string::npos;
    if (!text_width || name.find("lora_down") == std::string::npos || tensor.shape.size() < 2) {
      continue;
    }
    switch (tensor.shape[1]) {
      case 768: return "sd1";
      case 1024: return "sd2";
      case 2048: return "sdxl";
      default: break;
    }
  }
  for (const auto& [name, tensor] : file.tensors()) {
    if (name.starts_with("lora_unet_input_blocks_") ||
        name.starts_with("lora_unet_middle_block_") ||
        name.starts_with("lora_unet_output_blocks_")) {
      return "sdxl";
    }
  }
  return {};
}

}  // namespace

std::vector<LoraFile> scan_lora_files(const std::string& loras_dir,
                                      const std::vector<LoraFile>& known) {
  std::vector<LoraFile> files;
  std::error_code ec;
  if (!fs::is_directory(loras_dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(loras_dir, ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".safetensors" || !entry.is_regular_file(ec)) continue;
    const auto same = std::find_if(known.begin(), known.end(), [&](const LoraFile& file) {
      return file.path == path.string();
    });
    try {
      diffusion::SafetensorsFile file(path.string());
      LoraFile lora{path.stem().string(),
                    path.string(),
                    lora_family(file),
                    {},
                    std::to_string(fs::file_size(path)) + ":" +
                        std::to_string(fs::last_write_time(path).time_since_epoch().count())};
      lora.hash = same != known.end() && same->stamp == lora.stamp
                      ? same->hash
                      : sha256_hex(file.data_section()).substr(0, 12);
      files.push_back(std::move(lora));
    } catch (const std::exception& e) {
      spdlog::warn("LoRA {} skipped: {}", path.string(), e.what());
    }
  }
  std::sort(files.begin(), files.end(),
            [](const LoraFile& a, const LoraFile& b) { return a.name < b.name; });
  return files;
}

}  // namespace rendermart
