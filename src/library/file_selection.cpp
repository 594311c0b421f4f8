#include "library/file_selection.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart::library {
namespace {

enum class Part { weights, tokenizer, scheduler };

struct Component {
  const char* name;
  Part part;
  const char* weights_stem;  // Part::weights only
  bool sdxl_only;
};

// What the engine reads (diffusion/model_folder.cpp); a component's other files are left out, as
// are the folders the engine never opens (vae_1_0, vae_decoder and vae_encoder of SDXL's ONNX and
// OpenVINO exports, a refiner's) and the single-file checkpoints and LoRAs at the root.
// `sdxl_only`: required by StableDiffusionXLPipeline, left out of SD 1.x / 2.x pipelines.
constexpr Component kComponents[] = {
    {"text_encoder", Part::weights, "model", false},
    {"tokenizer", Part::tokenizer, nullptr, false},
    {"unet", Part::weights, "diffusion_pytorch_model", false},
    {"vae", Part::weights, "diffusion_pytorch_model", false},
    {"scheduler", Part::scheduler, nullptr, false},
    {"text_encoder_2", Part::weights, "model", true},
    {"tokenizer_2", Part::tokenizer, nullptr, true},
};

// A component model_index.json lists with a class ([library, class]; [null, null] when removed).
bool listed(const nlohmann::json& index, const char* component) {
  const auto it = index.find(component);
  return it != index.end() && it->is_array() && it->size() == 2 && (*it)[1].is_string();
}

class Selection {
 public:
  Selection(const RepoListing& listing, const std::string& origin)
      : listing_(listing), origin_(origin) {}

  bool has(const std::string& path) const { return find_file(listing_, path) != nullptr; }

  void take(const std::string& path) {
    const auto* file = find_file(listing_, path);
    if (!file) throw problem("it has no " + path);
    files_.push_back(*file);
  }
  void take_if_present(const std::string& path) {
    if (has(path)) take(path);
  }

  // `folder` is the component's folder with its slash, or empty for weights at the root.
  void take_weights(const std::string& folder, const std::string& stem, Variant variant) {
    const auto full = folder + stem + ".safetensors";
    const auto fp16 = folder + stem + ".fp16.safetensors";
    const auto component =
        folder.empty() ? std::string("the model") : folder.substr(0, folder.size() - 1);
    const bool want_fp16 = variant == Variant::fp16 || (variant == Variant::automatic && has(fp16));
    if (want_fp16 && has(fp16)) return take(fp16);
    if (!want_fp16 && has(full)) return take(full);
    if (variant == Variant::fp16 && has(full)) {
      throw problem("it has no fp16 weights (" + fp16 + "): pull with --variant auto or full");
    }
    if (variant == Variant::full && has(fp16)) {
      throw problem("it has only fp16 weights (" + fp16 + "): pull with --variant auto or fp16");
    }
    for (const auto* index : {&full, &fp16}) {
      if (has(*index + ".index.json")) {
        throw problem("the weights of " + component + " are sharded (" + *index +
                      ".index.json), which the local engine does not load");
      }
    }
    throw problem(component + " has no .safetensors weights (" + full +
                  "); RenderMart never "
                  "loads pickled weights (.bin, .ckpt)");
  }

  Error problem(const std::string& what) const {
    return Error(ErrorCode::model_error, origin_ + " cannot be pulled: " + what);
  }

  std::vector<RepoFile> take_all() { return std::move(files_); }

 private:
  const RepoListing& listing_;
  const std::string& origin_;
  std::vector<RepoFile> files_;
};

}  // namespace

std::optional<Variant> variant_from_string(std::string_view text) {
  if (text == "auto") return Variant::automatic;
  if (text == "fp16") return Variant::fp16;
  if (text == "full") return Variant::full;
  return std::nullopt;
}

std::vector<RepoFile> select_files(const RepoListing& listing, std::string_view model_index_text,
                                   Variant variant, const std::string& origin) {
  Selection selection(listing, origin);
  const auto index = nlohmann::json::parse(model_index_text, nullptr, false);
  if (!index.is_object()) throw selection.problem("its model_index.json is not a JSON object");
  const auto pipeline = index.value("_class_name", std::string());
  const bool sdxl = pipeline == "StableDiffusionXLPipeline";
  if (!sdxl && pipeline != "StableDiffusionPipeline" &&
      pipeline != "StableDiffusionImg2ImgPipeline") {
    throw selection.problem(
        "it is a " + (pipeline.empty() ? std::string("model without a pipeline class") : pipeline) +
        "; the local engine runs StableDiffusionPipeline and StableDiffusionXLPipeline models "
        "(Stable Diffusion 1.x, 2.x and SDXL) and TAESD decoders (AutoencoderTiny)");
  }
  selection.take("model_index.json");
  for (const auto& component : kComponents) {
    if (component.sdxl_only && !sdxl) continue;
    const std::string name = component.name;
    if (!listed(index, component.name)) {
      throw selection.problem("its model_index.json lists no " + name);
    }
    switch (component.part) {
      case Part::weights:
        selection.take(name + "/config.json");
        selection.take_weights(name + "/", component.weights_stem, variant);
        break;
      case Part::tokenizer:
        selection.take(name + "/vocab.json");
        selection.take(name + "/merges.txt");
        selection.take_if_present(name + "/special_tokens_map.json");
        selection.take_if_present(name + "/tokenizer_config.json");
        break;
      case Part::scheduler: selection.take(name + "/scheduler_config.json"); break;
    }
  }
  return selection.take_all();
}

std::vector<RepoFile> select_decoder_files(const RepoListing& listing, std::string_view config_text,
                                           Variant variant, const std::string& origin) {
  Selection selection(listing, origin);
  const auto config = nlohmann::json::parse(config_text, nullptr, false);
  const auto model = config.is_object() ? config.value("_class_name", std::string()) : "";
  if (model != "AutoencoderTiny") {
    throw selection.problem(
        "it has no model_index.json and its config.json is no AutoencoderTiny's, so it is "
        "neither a diffusers pipeline nor a TAESD decoder (for one .safetensors checkpoint, pull "
        "its https URL)");
  }
  selection.take("config.json");
  selection.take_weights("", "diffusion_pytorch_model", variant);
  return selection.take_all();
}

RepoFile select_lora_file(const RepoListing& listing, const std::string& file,
                          const std::string& origin) {
  std::vector<const RepoFile*> candidates;
  for (const auto& f : listing.files) {
    if (f.path.ends_with(".safetensors")) candidates.push_back(&f);
  }
  if (!file.empty()) {
    for (const auto* f : candidates) {
      if (f->path == file) return *f;
    }
    throw invalid_argument("file", origin + " has no .safetensors file " + file +
                                       ": name one of its files as the repository lists it");
  }
  if (candidates.empty()) {
    throw Error(ErrorCode::model_error,
                origin + " has no .safetensors file, so it holds no LoRA the engine reads");
  }
  if (candidates.size() > 1) {
    std::vector<std::string> paths;
    for (const auto* f : candidates) paths.push_back(f->path);
    std::sort(paths.begin(), paths.end());
    std::string names;
    for (const auto& path : paths) names += (names.empty() ? "" : ", ") + path;
    throw invalid_argument("file", origin +
                                       " holds several .safetensors files: name the LoRA "
                                       "to pull (file, or --file): " +
                                       names);
  }
  return *candidates.front();
}

}  // namespace rendermart::library
