#pragma once

// The architectures the engine runs, read from the config.json files of a Hugging Face diffusers
// folder. Parsing checks every setting the engine relies on, so that an unsupported architecture
// is an Error(model_error) when a model is discovered, not a wrong picture later. Torch-free.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rendermart::diffusion {

// CLIPTextModel or CLIPTextModelWithProjection (transformers).
struct TextEncoderConfig {
  int vocab_size = 49408;
  int hidden_size = 768;
  int intermediate_size = 3072;
  int layers = 12;
  int heads = 12;
  int max_positions = 77;
  double layer_norm_eps = 1e-5;
  bool quick_gelu = true;  // hidden_act quick_gelu (CLIP ViT-L) or gelu (OpenCLIP ViT-H)
  int eos_token_id = 49407;
  int projection_dim = 0;  // CLIPTextModelWithProjection: text_projection's width; 0: none
};

// One down or up block of UNet2DConditionModel.
struct UNetBlockConfig {
  bool cross_attention = false;
  int layers = 2;       // resnets (up blocks: layers_per_block + 1)
  int in_channels = 0;  // down: the block's input; up: the skip channels of its last resnet
  int out_channels = 0;
  int prev_out_channels = 0;  // up blocks only: what the block below hands over
  int heads = 8;
  int transformer_layers = 1;
  bool resample = false;  // a downsampler (down) or an upsampler (up) at the end
};

// UNet2DConditionModel (diffusers) as SD 1.x / 2.x and SDXL use it.
struct UNetConfig {
  int in_channels = 4;
  int out_channels = 4;
  std::vector<int> block_out_channels;
  std::vector<UNetBlockConfig> down_blocks;
  std::vector<UNetBlockConfig> up_blocks;
  int mid_heads = 8;
  int mid_transformer_layers = 1;
  bool mid_attention = true;
  int cross_attention_dim = 768;
  int norm_groups = 32;
  double norm_eps = 1e-5;
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  bool linear_projection = false;
  int time_cond_proj_dim = 0;  // > 0: a guidance-scale embedding (LCM-distilled models)
  int sample_size = 64;
  int downsample_padding = 1;
  double mid_block_scale_factor = 1;
  // addition_embed_type "text_time" (SDXL): the pooled text embedding and the size and crop
  // conditioning, embedded and added to the timestep embedding. 0: none.
  int addition_time_embed_dim = 0;
  int projection_class_embeddings_input_dim = 0;
  int time_embed_dim() const { return block_out_channels.front() * 4; }
};

// AutoencoderKL (diffusers).
struct VaeConfig {
  int in_channels = 3;
  int out_channels = 3;
  int latent_channels = 4;
  std::vector<int> block_out_channels;
  int layers_per_block = 2;
  int norm_groups = 32;
  double scaling_factor = 0.18215;
  bool quant_conv = true;
  bool mid_attention = true;
  // Marks a VAE whose activations overflow 16-bit floats (SDXL's): its pipelines decode in float32.
  bool force_upcast = true;
  int scale_factor() const { return 1 << (static_cast<int>(block_out_channels.size()) - 1); }
};

// AutoencoderTiny (TAESD), decoder side.
struct TaesdConfig {
  int latent_channels = 4;
  int out_channels = 3;
  std::vector<int> decoder_block_out_channels{64, 64, 64, 64};
  std::vector<int> decoder_blocks{3, 3, 3, 1};
  int upsampling_factor = 2;
};

// The noise schedule and the settings every scheduler reads (a scheduler_config.json).
struct SchedulerConfig {
  std::string class_name;  // the class the model ships with (e.g. PNDMScheduler)
  int num_train_timesteps = 1000;
  double beta_start = 0.00085;
  double beta_end = 0.012;
  std::string beta_schedule = "scaled_linear";  // linear | scaled_linear | squaredcos_cap_v2
  std::vector<double> trained_betas;
  std::string prediction_type = "epsilon";      // epsilon | v_prediction | sample
  std::optional<std::string> timestep_spacing;  // unset: each scheduler's own default
  int steps_offset = 0;
  std::optional<bool> set_alpha_to_one;  // unset: each scheduler's own default
  bool rescale_betas_zero_snr = false;
  int original_inference_steps = 50;  // LCM
  double timestep_scaling = 10;       // LCM
};

enum class SchedulerKind { euler, euler_ancestral, ddim, dpmpp_2m, dpmpp_2m_karras, lcm };

// "euler", "euler_a", "ddim", "dpmpp_2m", "dpmpp_2m_karras", "lcm".
const char* to_string(SchedulerKind kind);
std::optional<SchedulerKind> scheduler_kind_from_string(const std::string& name);
// The kind a model's own scheduler_config.json names, when the engine has it.
std::optional<SchedulerKind> scheduler_kind_of_class(const std::string& class_name);

TextEncoderConfig parse_text_encoder_config(const nlohmann::json& json, const std::string& file);
UNetConfig parse_unet_config(const nlohmann::json& json, const std::string& file);
VaeConfig parse_vae_config(const nlohmann::json& json, const std::string& file);
TaesdConfig parse_taesd_config(const nlohmann::json& json, const std::string& file);
SchedulerConfig parse_scheduler_config(const nlohmann::json& json, const std::string& file);

// Reads a JSON file; throws Error(model_error) when it is missing or not JSON.
nlohmann::json read_json_file(const std::string& path);

}  // namespace rendermart::diffusion
