#include "diffusion/model_config.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

using nlohmann::json;

Error unsupported(const std::string& file, const std::string& what) {
  return Error(ErrorCode::model_error,
               file + ": " + what +
                   " is not supported by the local engine (it runs Stable "
                   "Diffusion 1.x, 2.x and SDXL UNets, AutoencoderKL and CLIP)");
}

Error bad_value(const std::string& file, const std::string& key, const std::string& want) {
  return Error(ErrorCode::model_error, file + ": \"" + key + "\" must be " + want);
}

// A value that may be absent or null (then the default applies).
const json* find(const json& object, const std::string& key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

int get_int(const json& object, const std::string& key, int fallback, const std::string& file) {
  const json* value = find(object, key);
  if (!value) return fallback;
  if (!value->is_number_integer()) throw bad_value(file, key, "an integer");
  const auto v = value->get<long long>();
  if (v < 0 || v > 1'000'000) throw bad_value(file, key, "between 0 and 1000000");
  return static_cast<int>(v);
}

double get_number(const json& object, const std::string& key, double fallback,
                  const std::string& file) {
  const json* value = find(object, key);
  if (!value) return fallback;
  if (!value->is_number()) throw bad_value(file, key, "a number");
  return value->get<double>();
}

bool get_bool(const json& object, const std::string& key, bool fallback, const std::string& file) {
  const json* value = find(object, key);
  if (!value) return fallback;
  if (!value->is_boolean()) throw bad_value(file, key, "true or false");
  return value->get<bool>();
}

std::string get_string(const json& object, const std::string& key, const std::string& fallback,
                       const std::string& file) {
  const json* value = find(object, key);
  if (!value) return fallback;
  if (!value->is_string()) throw bad_value(file, key, "a string");
  return value->get<std::string>();
}

std::vector<int> get_ints(const json& object, const std::string& key,
                          const std::vector<int>& fallback, const std::string& file) {
  const json* value = find(object, key);
  if (!value) return fallback;
  if (!value->is_array() || value->empty()) throw bad_value(file, key, "a list of integers");
  std::vector<int> out;
  for (const auto& item : *value) {
    if (!item.is_number_integer() || item.get<long long>() <= 0 || item.get<long long>() > 65536) {
      throw bad_value(file, key, "a list of positive integers");
    }
    out.push_back(item.get<int>());
  }
  return out;
}

std::vector<std::string> get_strings(const json& object, const std::string& key,
                                     const std::string& file) {
  const json* value = find(object, key);
  if (!value || !value->is_array() || value->empty()) throw bad_value(file, key, "a list of names");
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string()) throw bad_value(file, key, "a list of names");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// An int or a list with one entry per block (diffusers accepts both).
std::vector<int> per_block(const json& object, const std::string& key, int fallback,
                           std::size_t blocks, const std::string& file) {
  const json* value = find(object, key);
  if (value && value->is_array()) {
    auto list = get_ints(object, key, {}, file);
    if (list.size() != blocks) throw bad_value(file, key, "one value per block");
    return list;
  }
  return std::vector<int>(blocks, get_int(object, key, fallback, file));
}

void require_null_or(const json& object, const std::string& key, const json& allowed,
                     const std::string& file) {
  const json* value = find(object, key);
  if (value && *value != allowed) throw unsupported(file, "\"" + key + "\": " + value->dump());
}

}  // namespace

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::model_error, "missing file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = json::parse(buffer.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw Error(ErrorCode::model_error, path + " is not a JSON object");
  }
  return parsed;
}

TextEncoderConfig parse_text_encoder_config(const json& j, const std::string& file) {
  const auto architectures = find(j, "architectures");
  const bool projection = architectures && architectures->is_array() &&
                          architectures->size() == 1 &&
                          (*architectures)[0] == "CLIPTextModelWithProjection";
  if (architectures && !projection &&
      !(architectures->is_array() && architectures->size() == 1 &&
        (*architectures)[0] == "CLIPTextModel")) {
    throw unsupported(file, "text encoder " + architectures->dump());
  }
  TextEncoderConfig c;
  // transformers' CLIPTextConfig defaults projection_dim to 512.
  if (projection) c.projection_dim = get_int(j, "projection_dim", 512, file);
  c.vocab_size = get_int(j, "vocab_size", c.vocab_size, file);
  c.hidden_size = get_int(j, "hidden_size", c.hidden_size, file);
  c.intermediate_size = get_int(j, "intermediate_size", c.intermediate_size, file);
  c.layers = get_int(j, "num_hidden_layers", c.layers, file);
  c.heads = get_int(j, "num_attention_heads", c.heads, file);
  c.max_positions = get_int(j, "max_position_embeddings", c.max_positions, file);
  c.layer_norm_eps = get_number(j, "layer_norm_eps", c.layer_norm_eps, file);
  c.eos_token_id = get_int(j, "eos_token_id", c.eos_token_id, file);
  const auto act = get_string(j, "hidden_act", "quick_gelu", file);
  if (act != "quick_gelu" && act != "gelu") throw unsupported(file, "hidden_act " + act);
  c.quick_gelu = act == "quick_gelu";
  if (c.heads == 0 || c.hidden_size % c.heads != 0 || c.layers == 0 || c.max_positions < 2) {
    throw bad_value(file, "num_attention_heads", "a divisor of hidden_size");
  }
  return c;
}

UNetConfig parse_unet_config(const json& j, const std::string& file) {
  UNetConfig c;
  const auto cls = get_string(j, "_class_name", "UNet2DConditionModel", file);
  if (cls != "UNet2DConditionModel") throw unsupported(file, cls);
  require_null_or(j, "addition_embed_type", "text_time", file);
  require_null_or(j, "class_embed_type", nullptr, file);
  require_null_or(j, "encoder_hid_dim", nullptr, file);
  require_null_or(j, "time_embedding_type", "positional", file);
  require_null_or(j, "resnet_time_scale_shift", "default", file);
  require_null_or(j, "act_fn", "silu", file);
  require_null_or(j, "conv_in_kernel", 3, file);
  require_null_or(j, "conv_out_kernel", 3, file);
  require_null_or(j, "only_cross_attention", false, file);
  require_null_or(j, "dual_cross_attention", false, file);
  require_null_or(j, "center_input_sample", false, file);
  require_null_or(j, "time_embedding_dim", nullptr, file);
  require_null_or(j, "timestep_post_act", nullptr, file);
  require_null_or(j, "time_embedding_act_fn", nullptr, file);
  require_null_or(j, "cross_attention_norm", nullptr, file);
  require_null_or(j, "resnet_skip_time_act", false, file);
  require_null_or(j, "resnet_out_scale_factor", 1.0, file);
  require_null_or(j, "attention_type", "default", file);
  require_null_or(j, "mid_block_only_cross_attention", nullptr, file);
  require_null_or(j, "reverse_transformer_layers_per_block", nullptr, file);

  c.in_channels = get_int(j, "in_channels", 4, file);
  c.out_channels = get_int(j, "out_channels", 4, file);
  c.block_out_channels = get_ints(j, "block_out_channels", {320, 640, 1280, 1280}, file);
  c.norm_groups = get_int(j, "norm_num_groups", 32, file);
  c.norm_eps = get_number(j, "norm_eps", 1e-5, file);
  c.flip_sin_to_cos = get_bool(j, "flip_sin_to_cos", true, file);
  c.freq_shift = get_number(j, "freq_shift", 0, file);
  c.linear_projection = get_bool(j, "use_linear_projection", false, file);
  c.time_cond_proj_dim = get_int(j, "time_cond_proj_dim", 0, file);
  c.sample_size = get_int(j, "sample_size", 64, file);
  c.downsample_padding = get_int(j, "downsample_padding", 1, file);
  c.mid_block_scale_factor = get_number(j, "mid_block_scale_factor", 1, file);
  if (find(j, "addition_embed_type")) {
    c.addition_time_embed_dim = get_int(j, "addition_time_embed_dim", 0, file);
    c.projection_class_embeddings_input_dim =
        get_int(j, "projection_class_embeddings_input_dim", 0, file);
    if (c.addition_time_embed_dim == 0 || c.projection_class_embeddings_input_dim == 0) {
      throw bad_value(file, "addition_time_embed_dim",
                      "set, with projection_class_embeddings_input_dim, for text_time embeddings");
    }
  }
  const json* cross = find(j, "cross_attention_dim");
  if (cross && !cross->is_number_integer())
    throw unsupported(file, "a per-block cross_attention_dim");
  c.cross_attention_dim = get_int(j, "cross_attention_dim", 1280, file);

  const auto down_types = get_strings(j, "down_block_types", file);
  const auto up_types = get_strings(j, "up_block_types", file);
  const std::size_t blocks = c.block_out_channels.size();
  if (down_types.size() != blocks || up_types.size() != blocks) {
    throw bad_value(file, "down_block_types", "one type per entry of block_out_channels");
  }
  // Legacy naming: attention_head_dim holds the number of heads when num_attention_heads is
  // null (every SD 1.x / 2.x config), as diffusers reads it.
  const bool explicit_heads = find(j, "num_attention_heads") != nullptr;
  const auto heads =
      per_block(j, explicit_heads ? "num_attention_heads" : "attention_head_dim", 8, blocks, file);
  const auto layers = per_block(j, "layers_per_block", 2, blocks, file);
  const auto transformer_layers = per_block(j, "transformer_layers_per_block", 1, blocks, file);

  for (std::size_t i = 0; i < blocks; ++i) {
    if (down_types[i] != "CrossAttnDownBlock2D" && down_types[i] != "DownBlock2D") {
      throw unsupported(file, "down block " + down_types[i]);
    }
    UNetBlockConfig block;
    block.cross_attention = down_types[i] == "CrossAttnDownBlock2D";
    block.layers = layers[i];
    block.in_channels = i == 0 ? c.block_out_channels[0] : c.block_out_channels[i - 1];
    block.out_channels = c.block_out_channels[i];
    block.heads = heads[i];
    block.transformer_layers = transformer_layers[i];
    block.resample = i + 1 < blocks;
    if (block.cross_attention && block.out_channels % block.heads != 0) {
      throw bad_value(file, "attention_head_dim", "a divisor of each block's channels");
    }
    c.down_blocks.push_back(block);
  }
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::size_t r = blocks - 1 - i;  // the matching down block
    if (up_types[i] != "CrossAttnUpBlock2D" && up_types[i] != "UpBlock2D") {
      throw unsupported(file, "up block " + up_types[i]);
    }
    UNetBlockConfig block;
    block.cross_attention = up_types[i] == "CrossAttnUpBlock2D";
    block.layers = layers[r] + 1;
    block.out_channels = c.block_out_channels[r];
    block.prev_out_channels =
        i == 0 ? c.block_out_channels[blocks - 1] : c.block_out_channels[r + 1];
    block.in_channels = c.block_out_channels[r == 0 ? 0 : r - 1];
    block.heads = heads[r];
    block.transformer_layers = transformer_layers[r];
    block.resample = i + 1 < blocks;
    if (block.cross_attention && block.out_channels % block.heads != 0) {
      throw bad_value(file, "attention_head_dim", "a divisor of each block's channels");
    }
    c.up_blocks.push_back(block);
  }
  const auto mid_type = get_string(j, "mid_block_type", "UNetMidBlock2DCrossAttn", file);
  if (mid_type != "UNetMidBlock2DCrossAttn") throw unsupported(file, "mid block " + mid_type);
  c.mid_heads = heads.back();
  c.mid_transformer_layers = transformer_layers.back();
  for (int channels : c.block_out_channels) {
    if (channels % c.norm_groups != 0) {
      throw bad_value(file, "norm_num_groups", "a divisor of every block's channels");
    }
  }
  return c;
}

VaeConfig parse_vae_config(const json& j, const std::string& file) {
  const auto cls = get_string(j, "_class_name", "AutoencoderKL", file);
  if (cls != "AutoencoderKL") throw unsupported(file, cls);
  require_null_or(j, "act_fn", "silu", file);
  require_null_or(j, "latents_mean", nullptr, file);
  require_null_or(j, "latents_std", nullptr, file);
  VaeConfig c;
  c.in_channels = get_int(j, "in_channels", 3, file);
  c.out_channels = get_int(j, "out_channels", 3, file);
  c.latent_channels = get_int(j, "latent_channels", 4, file);
  c.block_out_channels = get_ints(j, "block_out_channels", {64}, file);
  c.layers_per_block = get_int(j, "layers_per_block", 1, file);
  c.norm_groups = get_int(j, "norm_num_groups", 32, file);
  c.scaling_factor = get_number(j, "scaling_factor", 0.18215, file);
  c.quant_conv = get_bool(j, "use_quant_conv", true, file);
  c.mid_attention = get_bool(j, "mid_block_add_attention", true, file);
  c.force_upcast = get_bool(j, "force_upcast", true, file);
  for (const auto key : {"down_block_types", "up_block_types"}) {
    for (const auto& type : get_strings(j, key, file)) {
      if (type != "DownEncoderBlock2D" && type != "UpDecoderBlock2D") {
        throw unsupported(file, std::string(key) + " " + type);
      }
    }
  }
  for (int channels : c.block_out_channels) {
    if (channels % c.norm_groups != 0) {
      throw bad_value(file, "norm_num_groups", "a divisor of every block's channels");
    }
  }
  return c;
}

TaesdConfig parse_taesd_config(const json& j, const std::string& file) {
  const auto cls = get_string(j, "_class_name", "AutoencoderTiny", file);
  if (cls != "AutoencoderTiny") throw unsupported(file, cls);
  require_null_or(j, "act_fn", "relu", file);
  TaesdConfig c;
  c.latent_channels = get_int(j, "latent_channels", 4, file);
  c.out_channels = get_int(j, "out_channels", 3, file);
  c.decoder_block_out_channels =
      get_ints(j, "decoder_block_out_channels", c.decoder_block_out_channels, file);
  c.decoder_blocks = get_ints(j, "num_decoder_blocks", c.decoder_blocks, file);
  c.upsampling_factor = get_int(j, "upsampling_scaling_factor", 2, file);
  if (c.decoder_blocks.size() != c.decoder_block_out_channels.size()) {
    throw bad_value(file, "num_decoder_blocks", "one entry per decoder block");
  }
  return c;
}

SchedulerConfig parse_scheduler_config(const json& j, const std::string& file) {
  SchedulerConfig c;
  c.class_name = get_string(j, "_class_name", "", file);
  c.num_train_timesteps = get_int(j, "num_train_timesteps", 1000, file);
  c.beta_start = get_number(j, "beta_start", 0.0001, file);
  c.beta_end = get_number(j, "beta_end", 0.02, file);
  c.beta_schedule = get_string(j, "beta_schedule", "linear", file);
  if (c.beta_schedule != "linear" && c.beta_schedule != "scaled_linear" &&
      c.beta_schedule != "squaredcos_cap_v2") {
    throw unsupported(file, "beta_schedule " + c.beta_schedule);
  }
  if (const json* betas = find(j, "trained_betas")) {
    if (!betas->is_array()) throw bad_value(file, "trained_betas", "a list of numbers");
    for (const auto& beta : *betas) c.trained_betas.push_back(beta.get<double>());
    if (c.trained_betas.size() != static_cast<std::size_t>(c.num_train_timesteps)) {
      throw bad_value(file, "trained_betas", "one value per training timestep");
    }
  }
  c.prediction_type = get_string(j, "prediction_type", "epsilon", file);
  if (c.prediction_type != "epsilon" && c.prediction_type != "v_prediction" &&
      c.prediction_type != "sample") {
    throw unsupported(file, "prediction_type " + c.prediction_type);
  }
  if (find(j, "timestep_spacing")) {
    c.timestep_spacing = get_string(j, "timestep_spacing", "", file);
    if (*c.timestep_spacing != "linspace" && *c.timestep_spacing != "leading" &&
        *c.timestep_spacing != "trailing") {
      throw unsupported(file, "timestep_spacing " + *c.timestep_spacing);
    }
  }
  c.steps_offset = get_int(j, "steps_offset", 0, file);
  if (find(j, "set_alpha_to_one"))
    c.set_alpha_to_one = get_bool(j, "set_alpha_to_one", false, file);
  c.rescale_betas_zero_snr = get_bool(j, "rescale_betas_zero_snr", false, file);
  c.original_inference_steps = get_int(j, "original_inference_steps", 50, file);
  c.timestep_scaling = get_number(j, "timestep_scaling", 10, file);
  if (c.num_train_timesteps < 2 || c.original_inference_steps < 1 ||
      c.original_inference_steps > c.num_train_timesteps) {
    throw bad_value(file, "num_train_timesteps",
                    "at least 2 and at least original_inference_steps");
  }
  return c;
}

const char* to_string(SchedulerKind kind) {
  switch (kind) {
    case SchedulerKind::euler: return "euler";
    case SchedulerKind::euler_ancestral: return "euler_a";
    case SchedulerKind::ddim: return "ddim";
    case SchedulerKind::dpmpp_2m: return "dpmpp_2m";
    case SchedulerKind::dpmpp_2m_karras: return "dpmpp_2m_karras";
    case SchedulerKind::lcm: return "lcm";
  }
  return "euler";
}

std::optional<SchedulerKind> scheduler_kind_from_string(const std::string& name) {
  for (auto kind : {SchedulerKind::euler, SchedulerKind::euler_ancestral, SchedulerKind::ddim,
                    SchedulerKind::dpmpp_2m, SchedulerKind::dpmpp_2m_karras, SchedulerKind::lcm}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<SchedulerKind> scheduler_kind_of_class(const std::string& class_name) {
  if (class_name == "EulerDiscreteScheduler") return SchedulerKind::euler;
  if (class_name == "EulerAncestralDiscreteScheduler") return SchedulerKind::euler_ancestral;
  if (class_name == "DDIMScheduler") return SchedulerKind::ddim;
  if (class_name == "DPMSolverMultistepScheduler") return SchedulerKind::dpmpp_2m;
  if (class_name == "LCMScheduler") return SchedulerKind::lcm;
  return std::nullopt;
}

}  // namespace rendermart::diffusion
