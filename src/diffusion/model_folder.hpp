#pragma once

// A Stable Diffusion model, read and checked without loading weights (every config parsed, every
// weight file's header validated): a folder in the Hugging Face diffusers layout
// (model_index.json, text_encoder/, tokenizer/, unet/, vae/, scheduler/; SDXL also
// text_encoder_2/ and tokenizer_2/), or one .safetensors
// checkpoint in the original layout (checkpoint_layout.hpp), tokenized with the CLIP vocabulary
// the engine carries. An optional rendermart.json in the folder (NAME.rendermart.json beside a
// checkpoint) sets what the platform shows and defaults to. Torch-free.

#include <optional>
#include <string>
#include <vector>

#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

// rendermart.json: every key optional.
struct ModelSettings {
  std::string name;  // default: the folder name
  std::string description;
  std::string source;        // where the model came from: hf:OWNER/NAME@REVISION, a URL, file
  std::string license;       // e.g. from the Hub's model card data
  std::optional<int> steps;  // default steps (SD: 25; LCM: 4)
  std::optional<int> max_steps;
  std::optional<double> cfg_scale;  // default guidance scale (SD: 7.5; 0 or 1 turns CFG off)
  std::optional<SchedulerKind> scheduler;
  std::optional<int> default_size;  // default width and height (default: the UNet's)
  // What a checkpoint's tensors cannot tell (checkpoint_layout.hpp); ignored for folders.
  std::optional<int> text_encoder_heads;
  std::optional<int> unet_head_channels;
  std::optional<std::string> prediction_type;
};

// Shared TAESD decoders of a models folder: SDXL's latents need TAESDXL, which has the same
// architecture as TAESD but was trained on another latent space.
struct SharedTaesd {
  std::string sd;    // for SD 1.x / 2.x
  std::string sdxl;  // for SDXL
};

struct ModelFolder {
  std::string id;           // the folder name, or the checkpoint's file name without .safetensors
  std::string path;         // the folder, or the checkpoint file
  bool checkpoint = false;  // one file in the original layout
  TextEncoderConfig text_encoder;
  // SDXL: the second text encoder (OpenCLIP bigG, with its projection) and its tokenizer.
  std::optional<TextEncoderConfig> text_encoder_2;
  // SDXL pipelines: with guidance and no negative prompt, the negative conditioning is zeros
  // instead of the encoding of "".
  bool force_zeros_for_empty_prompt = false;
  UNetConfig unet;
  VaeConfig vae;
  SchedulerConfig scheduler;
  SchedulerKind scheduler_kind = SchedulerKind::dpmpp_2m_karras;  // what generations use
  std::optional<TaesdConfig> taesd;  // a TAESD decoder beside the model
  std::string taesd_path;
  ModelSettings settings;
  std::size_t weight_bytes = 0;  // on disk

  std::string text_encoder_path() const { return path + "/text_encoder"; }
  std::string tokenizer_path() const { return path + "/tokenizer"; }
  std::string text_encoder_2_path() const { return path + "/text_encoder_2"; }
  std::string tokenizer_2_path() const { return path + "/tokenizer_2"; }
  bool sdxl() const { return text_encoder_2.has_value(); }
  // An inpainting model (runwayml/stable-diffusion-inpainting and its kind): its UNet takes the
  // latents, the mask and the masked source's latents side by side (2 * latent + 1 channels).
  bool inpainting() const { return unet.in_channels == 2 * vae.latent_channels + 1; }
  std::string unet_path() const { return path + "/unet"; }
  std::string vae_path() const { return path + "/vae"; }
  int vae_scale_factor() const { return vae.scale_factor(); }
  int native_size() const { return unet.sample_size * vae_scale_factor(); }
};

// Reads and checks one model folder. `shared_taesd` are the TAESD folders to use when the model
// has none of its own (empty: none). check_weights: also validate every weight file's header (a
// benchmark's random-weight model has none). Throws Error(model_error) naming the file at fault.
ModelFolder read_model_folder(const std::string& path, const SharedTaesd& shared_taesd = {},
                              bool check_weights = true);
// Reads and checks one .safetensors checkpoint in the original layout.
ModelFolder read_checkpoint_model(const std::string& path, const SharedTaesd& shared_taesd = {});
// A folder or a checkpoint file, whichever `path` is.
ModelFolder read_model(const std::string& path, const SharedTaesd& shared_taesd = {});

struct ScanResult {
  std::vector<ModelFolder> models;
  std::vector<std::string> problems;  // one line per folder that is not a usable model
};
// Every sub-folder of `dir` with a model_index.json and every .safetensors file in it, sorted by
// id. A folder whose config.json is an AutoencoderTiny is a shared TAESD decoder, not a model:
// SDXL's when its name contains "xl" (madebyollin/taesdxl), else SD 1.x / 2.x's.
// Names starting with "." (downloads in progress) are not looked at.
ScanResult scan_models(const std::string& dir);

}  // namespace rendermart::diffusion
