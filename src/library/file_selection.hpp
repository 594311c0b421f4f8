#pragma once

// Which files of a diffusers repository a pull downloads: model_index.json, then for each
// component the pipeline needs (text encoder, tokenizer, UNet, VAE, scheduler; SDXL's second text
// encoder and tokenizer) its configuration and its .safetensors weights; or, for a TAESD decoder
// (madebyollin/taesd, taesdxl: no pipeline, an AutoencoderTiny at the root), its config.json and
// weights. Safety checkers, feature extractors, image encoders, pickled weights (.bin, .ckpt,
// .pth), other formats (ONNX, OpenVINO, Flax), single-file checkpoints and LoRAs beside the
// pipeline are never downloaded. A LoRA pull takes one .safetensors file of a repository of LoRAs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "library/hub_listing.hpp"

namespace rendermart::library {

// Which weights of a component: `automatic` takes the fp16 variant (NAME.fp16.safetensors)
// when the repository has it, else the full-precision file; `fp16` and `full` insist.
enum class Variant { automatic, fp16, full };

// "auto", "fp16" or "full"; nothing for anything else.
std::optional<Variant> variant_from_string(std::string_view text);

// The files to download, model_index.json first. `origin` names the repository in messages.
// Throws Error(model_error) before any weight is downloaded when the pipeline is not one the
// local engine runs (StableDiffusionPipeline, StableDiffusionImg2ImgPipeline,
// StableDiffusionXLPipeline), or a needed
// component lacks its configuration or .safetensors weights of the requested variant, or its
// weights are sharded (NAME.safetensors.index.json), which the engine does not load.
std::vector<RepoFile> select_files(const RepoListing& listing, std::string_view model_index_text,
                                   Variant variant, const std::string& origin);

// The files of a repository without model_index.json, config.json first, when that config.json
// (`config_text`) is an AutoencoderTiny's. Throws Error(model_error) when it is not, or its
// weights are missing as for select_files.
std::vector<RepoFile> select_decoder_files(const RepoListing& listing, std::string_view config_text,
                                           Variant variant, const std::string& origin);

// The LoRA file a LoRA pull downloads: `file` (a path in the repository), or when it is empty the
// repository's only .safetensors file. Throws Error(invalid_argument, field "file") when `file`
// is not a .safetensors file of the repository, or none is named and there are several (the
// message lists them); Error(model_error) when the repository has no .safetensors file.
RepoFile select_lora_file(const RepoListing& listing, const std::string& file,
                          const std::string& origin);

}  // namespace rendermart::library
