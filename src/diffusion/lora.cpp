#include "diffusion/lora.hpp"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
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

constexpr const char* kDown = ".lora_down.weight";
constexpr const char* kUp = ".lora_up.weight";
constexpr const char* kAlpha = ".alpha";

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A module's matrix as [rows, cols]: a 1x1 convolution's kernel is one.
at::Tensor as_matrix(const at::Tensor& t, const std::string& path, const std::string& name) {
  if (t.dim() == 2) return t;
  if (t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1) return t.flatten(1);
  throw invalid_argument(
      "loras", file_name(path) + ": " + name +
                   " adapts a convolution larger than 1x1 (a LyCORIS / LoCon layer), which the "
                   "engine does not support: use a LoRA of linear and 1x1 layers only");
}

std::string key(const std::string& component, const std::string& module) {
  return component + ":" + module;
}

}  // namespace

Lora::Lora(const std::string& path) : path_(path) {
  const SafetensorsFile file(path);
  SafetensorsWeights weights({path});
  const auto read = [&](const std::string& name) {
    return weights.get(name, file.tensors().at(name).shape, at::kFloat);
  };
  for (const auto& [name, stored] : file.tensors()) {
    if (!ends_with(name, kDown)) continue;
    const auto module = name.substr(0, name.size() - std::string(kDown).size());
    Module m;
    for (const auto& [prefix, component] : kPrefixes) {
      if (module.rfind(prefix, 0) == 0) {
        m.component = component;
        m.name = module.substr(std::string(prefix).size());
        break;
      }
    }
    if (m.component.empty()) {
      throw Error(ErrorCode::model_error,
                  file_name(path) + ": " + module +
                      " is not a kohya LoRA module (lora_unet_, lora_te_, lora_te1_ or lora_te2_)");
    }
    if (file.tensors().count(module + kUp) == 0) {
      throw Error(ErrorCode::model_error, file_name(path) + ": " + module + " has no lora_up");
    }
    m.down = as_matrix(read(name), path, module);
    m.up = as_matrix(read(module + kUp), path, module);
    const auto rank = m.down.size(0);
    if (m.up.size(1) != rank) {
      throw Error(ErrorCode::model_error,
                  file_name(path) + ": " + module + "'s lora_up and lora_down differ in rank");
    }
    // Without an alpha, kohya's scale alpha / rank is 1.
    m.alpha = file.tensors().count(module + kAlpha) ? read(module + kAlpha).item<double>()
                                                    : static_cast<double>(rank);
    modules_.push_back(std::move(m));
  }
  if (modules_.empty()) {
    throw Error(ErrorCode::model_error,
                file_name(path) + " holds no LoRA modules (<module>.lora_down.weight)");
  }
}

void LoraWeights::add_component(const std::string& component,
                                const std::map<std::string, at::Tensor>& weights) {
  constexpr std::string_view kWeight = ".weight";
  for (const auto& [name, weight] : weights) {
    if (!ends_with(name, std::string(kWeight)) || weight.dim() != 2) continue;
    auto module = name.substr(0, name.size() - kWeight.size());
    std::replace(module.begin(), module.end(), '.', '_');
    layers_[key(component, module)] = {weight, weight.view(weight.sizes())};
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
      const auto it = layers_.find(key(module.component, module.name));
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
