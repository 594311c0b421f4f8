#include "diffusion/lora.hpp"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "diffusion/checkpoint_layout.hpp"
#include "diffusion/safetensors_file.hpp"
#include "diffusion/weights.hpp"

namespace rendermart::diffusion {
namespace {

// kohya's module prefixes and the components they adapt, longest first.
constexpr std::pair<const char*, const char*> kPrefixes[] = {
    {"lora_te1_", "text_encoder"},
    {"lora_te2_", "text_encoder_2"},
    {"lora_te_", "text_encoder"},
    {"lora_unet_", "unet"},
};

constexpr std::string_view kDown = ".lora_down.weight";
constexpr std::string_view kUp = ".lora_up.weight";
constexpr std::string_view kAlpha = ".alpha";
constexpr std::string_view kDora = ".dora_scale";

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A module's matrix as [rows, cols]: a 1x1 convolution's kernel is one.
at::Tensor as_matrix(const at::Tensor& t, const std::string& path, const std::string& name) {
  if (t.dim() == 2) return t;
  if (t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1) return t.flatten(1);
  throw invalid_argument(
      "loras", file_name(path) + ": " + name +
                   " adapts a convolution larger than 1x1 (a LoCon / LyCORIS layer), which the "
                   "engine does not merge: use a LoRA of linear and 1x1 layers only");
}

std::string key(const std::string& component, const std::string& module) {
  return component + ":" + module;
}

std::string underscored(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// The module a tensor belongs to, and which of its tensors it is; nothing for a tensor of no
// kohya module.
std::optional<std::pair<std::string, std::string_view>> module_of(const std::string& tensor) {
  for (const auto suffix : {kDown, kUp, kAlpha, kDora}) {
    if (tensor.ends_with(suffix)) {
      return std::pair{tensor.substr(0, tensor.size() - suffix.size()), suffix};
    }
  }
  return std::nullopt;
}

std::map<std::string, at::Tensor> read_tensors(const std::string& path) {
  const SafetensorsFile file(path);
  SafetensorsWeights weights({path});
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, stored] : file.tensors()) {
    tensors[name] = weights.get(name, stored.shape, at::kFloat);
  }
  return tensors;
}

}  // namespace

Lora::Lora(const std::string& path) : Lora(path, read_tensors(path)) {}

Lora::Lora(const std::string& path, const std::map<std::string, at::Tensor>& tensors)
    : path_(path) {
  const auto refuse = [&](const std::string& why) {
    return Error(ErrorCode::model_error, file_name(path) + ": " + why);
  };
  // Every tensor belongs to a module this code merges: none is silently left out.
  std::map<std::string, std::map<std::string_view, at::Tensor>> modules;
  for (const auto& [name, tensor] : tensors) {
    const auto module = module_of(name);
    if (!module) {
      throw refuse(name +
                   " is not a kohya LoRA tensor (<module>.lora_down.weight, .lora_up.weight or "
                   ".alpha): the file is of another format (LyCORIS LoHa / LoKr, diffusers or "
                   "PEFT names), which the engine does not merge");
    }
    if (module->second == kDora) {
      throw invalid_argument("loras", file_name(path) + ": " + module->first +
                                          " is a DoRA module (.dora_scale), which the engine does "
                                          "not merge: use a plain LoRA");
    }
    modules[module->first][module->second] = tensor;
  }
  for (auto& [module, parts] : modules) {
    Module m;
    for (const auto& [prefix, component] : kPrefixes) {
      if (module.starts_with(prefix)) {
        m.component = component;
        m.name = module.substr(std::string_view(prefix).size());
        break;
      }
    }
    if (m.component.empty()) {
      throw refuse(module +
                   " is not a kohya LoRA module (lora_unet_, lora_te_, lora_te1_ or lora_te2_)");
    }
    if (!parts.count(kDown) || !parts.count(kUp)) {
      throw refuse(module + " has no " + std::string(parts.count(kDown) ? "lora_up" : "lora_down"));
    }
    m.down = as_matrix(parts.at(kDown), path, module);
    m.up = as_matrix(parts.at(kUp), path, module);
    const auto rank = m.down.size(0);
    if (m.up.size(1) != rank) throw refuse(module + "'s lora_up and lora_down differ in rank");
    // Without an alpha, kohya's scale alpha / rank is 1.
    m.alpha = parts.count(kAlpha) ? parts.at(kAlpha).item<double>() : static_cast<double>(rank);
    modules_.push_back(std::move(m));
  }
  if (modules_.empty()) throw refuse("it holds no LoRA modules (<module>.lora_down.weight)");
}

void LoraWeights::add_component(const std::string& component,
                                const std::map<std::string, at::Tensor>& weights) {
  constexpr std::string_view kWeight = ".weight";
  for (const auto& [name, weight] : weights) {
    if (!name.ends_with(kWeight) || weight.dim() != 2) continue;
    const auto layer = key(component, underscored(name.substr(0, name.size() - kWeight.size())));
    layers_[layer] = {weight, weight.view(weight.sizes())};
    names_[layer] = layer;
    if (component != "unet") continue;
    if (const auto original = original_unet_name(name, unet_)) {
      names_[key(component, underscored(original->substr(0, original->size() - kWeight.size())))] =
          layer;
    }
  }
}

void LoraWeights::apply(const std::vector<LoraUse>& loras) {
  std::vector<std::pair<std::shared_ptr<const Lora>, double>> wanted;
  for (const auto& use : loras) wanted.emplace_back(use.lora, use.weight);
  if (wanted == applied_) return;

  // Every module must fit before anything changes.
  std::map<std::string, std::vector<std::pair<const Lora::Module*, double>>> deltas;
  for (const auto& use : loras) {
    for (const auto& module : use.lora->modules()) {
      const auto name = names_.find(key(module.component, module.name));
      const auto it = name == names_.end() ? layers_.end() : layers_.find(name->second);
      const std::vector<std::int64_t> shape{module.up.size(0), module.down.size(1)};
      if (it == layers_.end() || it->second.weight.sizes() != at::IntArrayRef(shape)) {
        throw invalid_argument(
            "loras",
            file_name(use.lora->path()) + " does not fit this model: " +
                (it == layers_.end()
                     ? "it has no layer " + module.component + " " + module.name
                     : "its layer " + module.component + " " + module.name + " is not of shape [" +
                           std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + "]") +
                " (a LoRA for another model family?)");
      }
      deltas[it->first].emplace_back(&module, use.weight);
    }
  }

  restore();
  for (const auto& [name, modules] : deltas) {
    auto& layer = layers_.at(name);
    // The weights were made in (or outside) inference mode: changing them in the same mode.
    const c10::InferenceMode guard(layer.weight.is_inference());
    if (!layer.merged.defined())
      layer.merged = at::empty_like(layer.original, at::MemoryFormat::Contiguous);
    // Summed in float32 (in place when the model is float32), stored in the model's dtype.
    const bool in_place = layer.original.scalar_type() == at::kFloat;
    auto sum = in_place ? layer.merged.copy_(layer.original) : layer.original.to(at::kFloat);
    for (const auto& [module, weight] : modules) {
      const double scale = weight * module->alpha / static_cast<double>(module->down.size(0));
      sum.addmm_(module->up, module->down, 1.0, scale);
    }
    if (!in_place) layer.merged.copy_(sum);
    layer.weight.set_(layer.merged);
    merged_.push_back(name);
  }
  applied_ = std::move(wanted);
}

void LoraWeights::restore() {
  for (const auto& name : merged_) {
    auto& layer = layers_.at(name);
    const c10::InferenceMode guard(layer.weight.is_inference());
    layer.weight.set_(layer.original);
  }
  merged_.clear();
  applied_.clear();
}

}  // namespace rendermart::diffusion
