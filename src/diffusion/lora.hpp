#pragma once

// LoRA files in the kohya / AUTOMATIC1111 format, and merging them into a loaded model's weights.
//
// A file holds, per adapted layer, `<module>.lora_down.weight` [rank, in] (a 1x1 convolution's
// as [rank, in, 1, 1]), `<module>.lora_up.weight` [out, rank] and optionally `<module>.alpha`
// (rank when absent). The module names are parameter paths with "_" for ".": the UNet's by
// diffusers' names (lora_unet_down_blocks_0_attentions_0_proj_in: unet's
// down_blocks.0.attentions.0.proj_in) or, as kohya's trainer names SDXL's, by the original
// layout's (lora_unet_input_blocks_4_1_proj_in: the same layer of SDXL); lora_te_ (lora_te1_ for
// SDXL) is text_encoder's, lora_te2_ text_encoder_2's, both by transformers' CLIP names. Applied
// with weight w, a layer's weight W becomes W + w * alpha / rank * up @ down.
//
// Not supported, and refused by name: LoCon's 3x3 convolutions (the engine keeps convolution
// kernels packed for oneDNN, so merging them would mean unpacking and repacking each one) and
// DoRA (`.dora_scale`: a per-column renormalisation of the merged weight, not a sum).

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {

class Lora {
 public:
  // Reads the file. Throws Error(model_error) naming it for a file that is not a safetensors
  // LoRA of this format (a tensor that is no module's down, up or alpha, a module without its
  // down or up matrix, mismatched ranks), and Error(invalid_argument, field "loras") for a
  // variant the engine does not merge (LoCon's 3x3 convolutions, DoRA).
  explicit Lora(const std::string& path);
  // The same from tensors by their names in such a file (a LoRA made in memory: benchmarks);
  // `path` names it in errors.
  Lora(const std::string& path, const std::map<std::string, at::Tensor>& tensors);

  struct Module {
    std::string component;  // "unet", "text_encoder" or "text_encoder_2"
    std::string name;       // the module path with "_" for ".", without the lora_*_ prefix
    at::Tensor down;        // [rank, in] float32
    at::Tensor up;          // [out, rank] float32
    double alpha = 0;
  };

  const std::string& path() const { return path_; }
  const std::vector<Module>& modules() const { return modules_; }

 private:
  std::string path_;
  std::vector<Module> modules_;
};

// A LoRA as a generation asks for it.
struct LoraUse {
  std::shared_ptr<const Lora> lora;
  double weight = 1;
};

// The Linear weights of a loaded model that LoRAs change, and the LoRAs merged into them now.
// Merging replaces a layer's weight storage with a merged copy (the model's weights may be a
// read-only mapping of its file) and keeps the original to restore, as AUTOMATIC1111 does: the
// base model is never read again, and only the layers a LoRA has adapted take memory twice (from
// their first merge on).
class LoraWeights {
 public:
  // `unet`: the model's UNet, by whose configuration its layers are known by their original
  // layout's names too.
  explicit LoraWeights(UNetConfig unet) : unet_(std::move(unet)) {}

  // The layers of one component ("unet", "text_encoder", "text_encoder_2"): each weight [out, in]
  // by its diffusers name ("down_blocks.0.attentions.0.proj_in.weight"), the layer's own tensor.
  void add_component(const std::string& component,
                     const std::map<std::string, at::Tensor>& weights);

  // Makes the model's weights those of the base model with `loras` merged, replacing what an
  // earlier call merged (the same list again: nothing to do; empty: the base model). Throws
  // Error(invalid_argument, field "loras") naming the file for a LoRA with a layer this model does
  // not have or has in another shape (a LoRA for another family), before changing anything. Not
  // while the model runs: callers serialize.
  void apply(const std::vector<LoraUse>& loras);

 private:
  struct Layer {
    at::Tensor weight;    // the layer's own tensor, whose storage merging replaces
    at::Tensor original;  // a view of the base model's weight
    // The merged weight, allocated at the layer's first merge and reused by every later one:
    // allocating the adapted layers anew at each switch (over a GB for SD 1.5) cost seconds of
    // page faults.
    at::Tensor merged;
  };
  void restore();

  UNetConfig unet_;
  std::map<std::string, Layer> layers_;  // by "<component>:<diffusers name with _ for .>"
  // Every name a LoRA may give a layer (its diffusers name, and a UNet layer's original one), as
  // "<component>:<name with _ for .>", to its key in layers_.
  std::map<std::string, std::string> names_;
  std::vector<std::string> merged_;  // the keys of the layers that hold merged weights now
  std::vector<std::pair<std::shared_ptr<const Lora>, double>> applied_;
};

}  // namespace rendermart::diffusion
