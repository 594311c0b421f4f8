#include "library/file_selection.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart::library {
namespace {

enum class Part { weights, tokenizer, scheduler };

struct Component {
  const char* name;
  Part part;
  const char* weights_stem;  // Part::weights only
  bool required;
};

// What the engine reads (diffusion/model_folder.cpp); a component's other files are left out.
constexpr Component kComponents[] = {
    {"text_encoder", Part::weights, "model", true},
    {"tokenizer", Part::tokenizer, nullptr, true},
    {"unet", Part::weights, "diffusion_pytorch_model", true},
    {"vae", Part::weights, "diffusion_pytorch_model", true},
    {"scheduler", Part::scheduler, nullptr, true},
    {"text_encoder_2", Part::weights, "model", false},
    {"tokenizer_2", Part::tokenizer, nullptr, false},
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

  void take_weights(const std::string& component, const std::string& stem, Variant variant) {
    const auto full = component + "/" + stem + ".safetensors";
    const auto fp16 = component + "/" + stem + ".fp16.safetensors";
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
  if (pipeline != "StableDiffusionPipeline" && pipeline != "StableDiffusionImg2ImgPipeline") {
    throw selection.problem(
        "it is a " + (pipeline.empty() ? std::string("model without a pipeline class") : pipeline) +
        "; the local engine runs StableDiffusionPipeline models (Stable "
        "Diffusion 1.x and 2.x)");
  }
  selection.take("model_index.json");
  for (const auto& component : kComponents) {
    const std::string name = component.name;
    if (!listed(index, component.name)) {
      if (component.required) throw selection.problem("its model_index.json lists no " + name);
      continue;
    }
    switch (component.part) {
      case Part::weights:
        selection.take(name + "/config.json");
        selection.take_weights(name, component.weights_stem, variant);
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

}  // namespace rendermart::library
