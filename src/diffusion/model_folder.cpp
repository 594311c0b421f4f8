#include "diffusion/model_folder.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "diffusion/checkpoint_layout.hpp"
#include "diffusion/safetensors_file.hpp"

namespace rendermart::diffusion {
namespace {

namespace fs = std::filesystem;

std::size_t check_weight_file(const std::string& folder, const std::string& stem) {
  const SafetensorsFile file(find_weight_file(folder, stem));
  std::size_t bytes = 0;
  for (const auto& [name, tensor] : file.tensors()) bytes += tensor.bytes;
  return bytes;
}

bool is_taesd_folder(const std::string& folder) {
  const auto config = fs::path(folder) / "config.json";
  if (!fs::is_regular_file(config)) return false;
  const auto json = read_json_file(config.string());
  return json.value("_class_name", std::string()) == "AutoencoderTiny";
}

ModelSettings read_settings(const std::string& file) {
  ModelSettings settings;
  if (!fs::exists(file)) return settings;
  const auto json = read_json_file(file);
  const auto bad = [&](const std::string& key, const std::string& want) {
    return Error(ErrorCode::model_error, file + ": \"" + key + "\" must be " + want);
  };
  for (const auto& [key, value] : json.items()) {
    if (key == "name" || key == "description" || key == "source" || key == "license") {
      if (!value.is_string()) throw bad(key, "a string");
      (key == "name"          ? settings.name
       : key == "description" ? settings.description
       : key == "source"      ? settings.source
                              : settings.license) = value.get<std::string>();
    } else if (key == "steps" || key == "max_steps" || key == "default_size" ||
               key == "text_encoder_heads" || key == "unet_head_channels") {
      if (!value.is_number_integer() || value.get<int>() < 1 || value.get<int>() > 4096) {
        throw bad(key, "a positive integer");
      }
      (key == "steps"                ? settings.steps
       : key == "max_steps"          ? settings.max_steps
       : key == "default_size"       ? settings.default_size
       : key == "text_encoder_heads" ? settings.text_encoder_heads
                                     : settings.unet_head_channels) = value.get<int>();
    } else if (key == "prediction_type") {
      if (value != "epsilon" && value != "v_prediction") throw bad(key, "epsilon or v_prediction");
      settings.prediction_type = value.get<std::string>();
    } else if (key == "cfg_scale") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 30) {
        throw bad(key, "a number between 0 and 30");
      }
      settings.cfg_scale = value.get<double>();
    } else if (key == "scheduler") {
      const auto kind =
          value.is_string() ? scheduler_kind_from_string(value.get<std::string>()) : std::nullopt;
      if (!kind) throw bad(key, "one of euler, euler_a, ddim, dpmpp_2m, dpmpp_2m_karras, lcm");
      settings.scheduler = kind;
    } else {
      throw Error(ErrorCode::model_error, file + ": unknown key \"" + key + "\"");
    }
  }
  return settings;
}

// The first TAESD decoder among `candidates` that fits the model's VAE.
void attach_taesd(ModelFolder& model, const std::vector<std::string>& candidates,
                  bool check_weights) {
  for (const auto& taesd : candidates) {
    if (taesd.empty() || !is_taesd_folder(taesd)) continue;
    auto config =
        parse_taesd_config(read_json_file(taesd + "/config.json"), taesd + "/config.json");
    // TAESD upsamples by a fixed factor; it only fits VAEs that do the same (every SD 1.x/2.x).
    int factor = 1;
    for (std::size_t i = 1; i < config.decoder_blocks.size(); ++i)
      factor *= config.upsampling_factor;
    if (factor != model.vae_scale_factor() || config.latent_channels != model.vae.latent_channels) {
      continue;
    }
    if (check_weights) check_weight_file(taesd, "diffusion_pytorch_model");
    model.taesd = config;
    model.taesd_path = taesd;
    return;
  }
}

// SDXL's second text encoder and what its UNet takes besides the text (model_index.json's
// force_zeros_for_empty_prompt, the width of the text_time embedding's input).
void read_sdxl_parts(ModelFolder& model, const nlohmann::json& index) {
  const auto file = model.text_encoder_2_path() + "/config.json";
  model.text_encoder_2 = parse_text_encoder_config(read_json_file(file), file);
  if (model.text_encoder_2->projection_dim == 0) {
    throw Error(ErrorCode::model_error,
                file + ": SDXL's second text encoder must be a CLIPTextModelWithProjection");
  }
  const auto zeros = index.find("force_zeros_for_empty_prompt");
  // StableDiffusionXLPipeline's default.
  model.force_zeros_for_empty_prompt =
      zeros == index.end() || !zeros->is_boolean() || zeros->get<bool>();
  const auto& unet = model.unet;
  // add_embeds = text_embeds followed by six sinusoidal embeddings of the size conditioning.
  const int expected = model.text_encoder_2->projection_dim + 6 * unet.addition_time_embed_dim;
  if (unet.addition_time_embed_dim == 0 || unet.projection_class_embeddings_input_dim != expected) {
    throw Error(ErrorCode::model_error,
                model.unet_path() +
                    "/config.json: an SDXL UNet needs addition_embed_type "
                    "text_time with projection_class_embeddings_input_dim " +
                    std::to_string(expected) +
                    " (text_encoder_2's projection_dim + 6 x "
                    "addition_time_embed_dim)");
  }
}

}  // namespace

ModelFolder read_model_folder(const std::string& path, const SharedTaesd& shared_taesd,
                              bool check_weights) {
  ModelFolder model;
  model.path = path;
  model.id = fs::path(path).filename().string();
  const auto index = read_json_file(path + "/model_index.json");
  const auto pipeline = index.value("_class_name", std::string());
  const bool sdxl = pipeline == "StableDiffusionXLPipeline";
  if (!sdxl && pipeline != "StableDiffusionPipeline" &&
      pipeline != "StableDiffusionImg2ImgPipeline" &&
      pipeline != "StableDiffusionInpaintPipeline") {
    throw Error(ErrorCode::model_error,
                path + "/model_index.json: pipeline " + (pipeline.empty() ? "(none)" : pipeline) +
                    " is not supported by the local engine (it runs StableDiffusionPipeline, "
                    "StableDiffusionInpaintPipeline and StableDiffusionXLPipeline models: Stable "
                    "Diffusion 1.x, 2.x, their inpainting models and SDXL)");
  }
  const auto check_tokenizer = [&](const std::string& key) {
    const auto it = index.find(key);
    const auto name = it != index.end() && it->is_array() && it->size() == 2 && (*it)[1].is_string()
                          ? (*it)[1].get<std::string>()
                          : std::string();
    if (name != "CLIPTokenizer" && name != "CLIPTokenizerFast") {
      throw Error(ErrorCode::model_error, path + "/model_index.json: " + key + " " + name +
                                              " is not supported (CLIPTokenizer is)");
    }
  };
  check_tokenizer("tokenizer");
  if (sdxl) check_tokenizer("tokenizer_2");
  const auto config_path = [&](const std::string& component, const std::string& file) {
    return path + "/" + component + "/" + file;
  };
  model.text_encoder =
      parse_text_encoder_config(read_json_file(config_path("text_encoder", "config.json")),
                                config_path("text_encoder", "config.json"));
  model.unet = parse_unet_config(read_json_file(config_path("unet", "config.json")),
                                 config_path("unet", "config.json"));
  model.vae = parse_vae_config(read_json_file(config_path("vae", "config.json")),
                               config_path("vae", "config.json"));
  model.scheduler =
      parse_scheduler_config(read_json_file(config_path("scheduler", "scheduler_config.json")),
                             config_path("scheduler", "scheduler_config.json"));
  for (const auto tokenizer : {"tokenizer", "tokenizer_2"}) {
    if (!sdxl && tokenizer == std::string("tokenizer_2")) continue;
    for (const auto file : {"vocab.json", "merges.txt"}) {
      if (!fs::is_regular_file(config_path(tokenizer, file))) {
        throw Error(ErrorCode::model_error, "missing file " + config_path(tokenizer, file));
      }
    }
  }
  if (sdxl) read_sdxl_parts(model, index);
  // The UNet attends to the text encoders' states side by side.
  const int context = model.text_encoder.hidden_size +
                      (model.text_encoder_2 ? model.text_encoder_2->hidden_size : 0);
  if (model.unet.cross_attention_dim != context) {
    throw Error(ErrorCode::model_error, path + ": the UNet's cross_attention_dim (" +
                                            std::to_string(model.unet.cross_attention_dim) +
                                            ") differs from the text encoders' width (" +
                                            std::to_string(context) + ")");
  }
  if (!sdxl && model.unet.addition_time_embed_dim > 0) {
    throw Error(ErrorCode::model_error,
                path +
                    "/unet/config.json: text_time embeddings need an SDXL pipeline "
                    "(StableDiffusionXLPipeline in model_index.json)");
  }
  // An inpainting UNet also takes the mask and the masked source's latents.
  const int latent = model.vae.latent_channels;
  if (model.unet.in_channels != latent && model.unet.in_channels != 2 * latent + 1) {
    throw Error(ErrorCode::model_error,
                path + ": the UNet takes " + std::to_string(model.unet.in_channels) +
                    " channels, the VAE makes " + std::to_string(latent) +
                    " (an inpainting UNet takes " + std::to_string(2 * latent + 1) + ")");
  }
  model.settings = read_settings(path + "/rendermart.json");
  if (model.settings.name.empty()) model.settings.name = model.id;
  model.scheduler_kind = model.settings.scheduler
                             ? *model.settings.scheduler
                             : scheduler_kind_of_class(model.scheduler.class_name)
                                   .value_or(SchedulerKind::dpmpp_2m_karras);
  if (sdxl) {
    attach_taesd(model, {path + "/taesdxl", shared_taesd.sdxl}, check_weights);
  } else {
    attach_taesd(model, {path + "/taesd", shared_taesd.sd}, check_weights);
  }
  if (check_weights) {
    model.weight_bytes = check_weight_file(model.text_encoder_path(), "model") +
                         check_weight_file(model.unet_path(), "diffusion_pytorch_model") +
                         check_weight_file(model.vae_path(), "diffusion_pytorch_model");
    if (sdxl) model.weight_bytes += check_weight_file(model.text_encoder_2_path(), "model");
  }
  return model;
}

ModelFolder read_checkpoint_model(const std::string& path, const SharedTaesd& shared_taesd) {
  ModelFolder model;
  model.path = path;
  model.checkpoint = true;
  model.id = fs::path(path).stem().string();
  const auto settings_file =
      (fs::path(path).parent_path() / (model.id + ".rendermart.json")).string();
  model.settings = read_settings(settings_file);
  if (model.settings.name.empty()) model.settings.name = model.id;
  const SafetensorsFile file(path);
  const auto configs =
      infer_checkpoint_configs(file, {.text_encoder_heads = model.settings.text_encoder_heads,
                                      .unet_head_channels = model.settings.unet_head_channels,
                                      .prediction_type = model.settings.prediction_type});
  model.text_encoder = configs.text_encoder;
  model.text_encoder_2 = configs.text_encoder_2;
  // What StableDiffusionXLPipeline does unless model_index.json says otherwise.
  model.force_zeros_for_empty_prompt = model.sdxl();
  model.unet = configs.unet;
  model.vae = configs.vae;
  model.scheduler = configs.scheduler;
  model.scheduler_kind = model.settings.scheduler.value_or(SchedulerKind::dpmpp_2m_karras);
  for (const auto& [name, tensor] : file.tensors()) model.weight_bytes += tensor.bytes;
  attach_taesd(model, {model.sdxl() ? shared_taesd.sdxl : shared_taesd.sd}, true);
  return model;
}

ModelFolder read_model(const std::string& path, const SharedTaesd& shared_taesd) {
  return fs::is_directory(path) ? read_model_folder(path, shared_taesd)
                                : read_checkpoint_model(path, shared_taesd);
}

ScanResult scan_models(const std::string& dir) {
  ScanResult result;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    result.problems.push_back(dir + " is not a folder");
    return result;
  }
  std::vector<fs::path> folders;
  SharedTaesd shared_taesd;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().front() == '.') continue;
    if (entry.is_regular_file() && entry.path().extension() == ".safetensors") {
      folders.push_back(entry.path());
      continue;
    }
    if (!entry.is_directory()) continue;
    if (fs::exists(entry.path() / "model_index.json")) {
      folders.push_back(entry.path());
    } else {
      auto name = entry.path().filename().string();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto& shared = name.find("xl") != std::string::npos ? shared_taesd.sdxl : shared_taesd.sd;
      if (!shared.empty()) continue;
      try {
        if (is_taesd_folder(entry.path().string())) shared = entry.path().string();
      } catch (const Error& e) {
        result.problems.push_back(e.what());
      }
    }
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) {
    try {
      auto model = read_model(folder.string(), shared_taesd);
      const auto same = std::find_if(result.models.begin(), result.models.end(),
                                     [&](const ModelFolder& m) { return m.id == model.id; });
      if (same != result.models.end()) {
        throw Error(ErrorCode::model_error,
                    model.path + ": the model " + model.id + " is already " + same->path);
      }
      result.models.push_back(std::move(model));
    } catch (const Error& e) {
      result.problems.push_back(e.what());
    }
  }
  std::sort(result.models.begin(), result.models.end(),
            [](const ModelFolder& a, const ModelFolder& b) { return a.id < b.id; });
  return result;
}

}  // namespace rendermart::diffusion
