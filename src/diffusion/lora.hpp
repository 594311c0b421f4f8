#pragma once

// LoRA files in the kohya / AUTOMATIC1111 format, and merging them into a loaded model's weights.
//
// A file holds, per adapted layer, `<module>.lora_down.weight` [rank, in] (a 1x1 convolution's
// as [rank, in, 1, 1]), `<module>.lora_up.weight` [out, rank] and optionally `<module>.alpha`
// (rank when absent). The module names are the diffusers parameter paths with "_" for ".":
// lora_unet_down_blocks_0_attentions_0_proj_in is unet's down_blocks.0.attentions.0.proj_in;
// lora_te_ (lora_te1_ for SDXL) is text_encoder's, lora_te2_ text_encoder_2's. Applied with
// weight w, a layer's weight W becomes W + w * alpha / rank * up @ down.

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rendermart::diffusion {

class Lora {
 public:
  // Reads the file. Throws Error(model_error) naming it for a file that is not a safetensors
  // LoRA of this format (a module without its down or up matrix, mismatched ranks).
  explicit Lora(const std::string& path);

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

  std::map<std::string, Layer> layers_;  // by "<component>:<name with _ for .>"
  std::vector<std::string> merged_;      // the keys of the layers that hold merged weights now
  std::vector<std::pair<std::shared_ptr<const Lora>, double>> applied_;
};

}  // namespace rendermart::diffusion
