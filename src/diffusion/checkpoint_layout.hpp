#pragma once

// A Stable Diffusion checkpoint in one .safetensors file, in the original CompVis layout that
// AUTOMATIC1111, ComfyUI and model-sharing sites use: the UNet under `model.diffusion_model.`
// (input_blocks, middle_block, output_blocks), the VAE under `first_stage_model.` and the text
// encoder under `cond_stage_model.` (SD 1.x: transformers' CLIP names below `transformer.`;
// SD 2.x: OpenCLIP's names below `model.`, with fused q/k/v). SDXL keeps its two text encoders
// under `conditioner.embedders.0.transformer.` (CLIP-L, transformers' names) and
// `conditioner.embedders.1.model.` (OpenCLIP bigG, with `text_projection` stored transposed). The
// architecture is read from the tensors' shapes, and each tensor the engine asks for by its
// diffusers name is found in the file. Torch-free.

#include <cstdint>
#include <optional>
#include <string>

#include "diffusion/model_config.hpp"
#include "diffusion/safetensors_file.hpp"

namespace rendermart::diffusion {

enum class CheckpointComponent { text_encoder, text_encoder_2, unet, vae };

// What the tensors cannot tell, from the model's settings (ModelSettings).
struct CheckpointHints {
  std::optional<int> text_encoder_heads;       // default: hidden size / 64 (every CLIP)
  std::optional<int> unet_head_channels;       // SD 2.x, SDXL; default 64 (SD 1.x: 8 heads a level)
  std::optional<std::string> prediction_type;  // default: SD 1.x epsilon, SD 2.x v_prediction
};

struct CheckpointConfigs {
  TextEncoderConfig text_encoder;
  UNetConfig unet;
  VaeConfig vae;
  SchedulerConfig scheduler;
  bool open_clip = false;                           // SD 2.x: the text encoder in OpenCLIP's layout
  std::optional<TextEncoderConfig> text_encoder_2;  // SDXL: OpenCLIP bigG with its projection
};

// Whether the file holds tensors in this layout (a UNet under model.diffusion_model.).
bool is_checkpoint_layout(const SafetensorsFile& file);

// The components' configurations, inferred from the tensors' shapes. Throws Error(model_error)
// naming the file when it is not an SD 1.x / 2.x / SDXL checkpoint.
CheckpointConfigs infer_checkpoint_configs(const SafetensorsFile& file,
                                           const CheckpointHints& hints);

// Where a component's tensor (by its diffusers name) is in the file: the stored tensor's name
// and, for the rows of a fused tensor (OpenCLIP's in_proj), which rows. Nothing when the
// name has no counterpart in this layout.
struct CheckpointTensor {
  std::string name;
  std::int64_t first_row = 0;
  std::int64_t rows = 0;    // 0: the whole tensor
  bool transposed = false;  // stored [in, out] where diffusers keeps [out, in]
};
std::optional<CheckpointTensor> checkpoint_tensor(CheckpointComponent component,
                                                  const std::string& name,
                                                  const CheckpointConfigs& configs,
                                                  const SafetensorsFile& file);

// The original layout's name of a UNet parameter known by its diffusers name, without the
// model.diffusion_model. prefix (down_blocks.1.attentions.0.proj_in.weight ->
// input_blocks.4.1.proj_in.weight): the names kohya's SDXL LoRAs give the UNet's layers. Nothing
// when the name has no counterpart.
std::optional<std::string> original_unet_name(const std::string& name, const UNetConfig& unet);

}  // namespace rendermart::diffusion
