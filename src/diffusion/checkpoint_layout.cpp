#include "diffusion/checkpoint_layout.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <vector>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

using json = nlohmann::json;

const std::string kUNet = "model.diffusion_model.";
const std::string kVae = "first_stage_model.";
const std::string kClip = "cond_stage_model.transformer.";
const std::string kOpenClip = "cond_stage_model.model.";
const std::string kSdxlClip = "conditioner.embedders.0.transformer.";
const std::string kSdxlOpenClip = "conditioner.embedders.1.model.";

Error not_a_checkpoint(const SafetensorsFile& file, const std::string& why) {
  return Error(ErrorCode::model_error,
               file.path() +
                   ": not a Stable Diffusion 1.x, 2.x or SDXL checkpoint in the original " +
                   "layout: " + why);
}

bool has(const SafetensorsFile& file, const std::string& name) {
  return file.tensors().count(name) != 0;
}

const std::vector<std::int64_t>& shape_of(const SafetensorsFile& file, const std::string& name) {
  const auto it = file.tensors().find(name);
  if (it == file.tensors().end()) throw not_a_checkpoint(file, "it has no tensor " + name);
  return it->second.shape;
}

bool has_prefix(const SafetensorsFile& file, const std::string& prefix) {
  const auto it = file.tensors().lower_bound(prefix);
  return it != file.tensors().end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

// How many numbered children `prefix` has: prefix0., prefix1., ... (consecutive from 0).
int count_numbered(const SafetensorsFile& file, const std::string& prefix) {
  int n = 0;
  while (has_prefix(file, prefix + std::to_string(n) + ".")) ++n;
  return n;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
    parts.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(name.substr(start));
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) out += (out.empty() ? "" : ".") + parts[i];
  return out;
}

std::optional<int> number(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoi(text);
}

// A UNet resnet's parameter below its block (norm1.weight -> in_layers.0.weight).
std::optional<std::string> unet_resnet(const std::vector<std::string>& parts, std::size_t from) {
  if (from >= parts.size()) return std::nullopt;
  static const std::map<std::string, std::string> names = {
      {"norm1", "in_layers.0"},  {"conv1", "in_layers.2"},  {"time_emb_proj", "emb_layers.1"},
      {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"}};
  const auto it = names.find(parts[from]);
  if (it == names.end()) return std::nullopt;
  return it->second + "." + join(parts, from + 1);
}

std::optional<std::string> unet_name(const std::string& name, const UNetConfig& unet) {
  const auto parts = split(name);
  const auto rest = [&](std::size_t from) { return join(parts, from); };
  if (parts[0] == "conv_in") return "input_blocks.0.0." + rest(1);
  if (parts[0] == "conv_norm_out") return "out.0." + rest(1);
  if (parts[0] == "conv_out") return "out.2." + rest(1);
  if (parts[0] == "time_embedding" && parts.size() > 1) {
    if (parts[1] == "linear_1") return "time_embed.0." + rest(2);
    if (parts[1] == "linear_2") return "time_embed.2." + rest(2);
    return std::nullopt;
  }
  if (parts[0] == "add_embedding" && parts.size() > 1) {  // SDXL's text_time embedding
    if (parts[1] == "linear_1") return "label_emb.0.0." + rest(2);
    if (parts[1] == "linear_2") return "label_emb.0.2." + rest(2);
    return std::nullopt;
  }
  if (parts.size() < 4) return std::nullopt;
  const auto block = number(parts[1]);
  const auto index = number(parts[2 + (parts[0] != "mid_block")]);
  if (parts[0] == "mid_block") {
    if (!index) return std::nullopt;
    if (parts[1] == "resnets") {
      const auto resnet = unet_resnet(parts, 3);
      if (!resnet || *index > 1) return std::nullopt;
      return "middle_block." + std::to_string(*index * 2) + "." + *resnet;
    }
    if (parts[1] == "attentions" && *index == 0) return "middle_block.1." + rest(3);
    return std::nullopt;
  }
  if (!block || !index || parts.size() < 5) return std::nullopt;
  const bool down = parts[0] == "down_blocks";
  if (!down && parts[0] != "up_blocks") return std::nullopt;
  const auto& blocks = down ? unet.down_blocks : unet.up_blocks;
  if (*block >= static_cast<int>(blocks.size())) return std::nullopt;
  // input_blocks: conv_in, then per level its resnets and its downsampler; output_blocks: per
  // level its resnets, the upsampler riding with the last one.
  int first = down ? 1 : 0;
  for (int i = 0; i < *block; ++i) first += blocks[i].layers + (down ? 1 : 0);
  const auto& config = blocks[*block];
  const std::string list = down ? "input_blocks." : "output_blocks.";
  const auto kind = parts[2];
  if (kind == "resnets" && *index < config.layers) {
    const auto resnet = unet_resnet(parts, 4);
    if (!resnet) return std::nullopt;
    return list + std::to_string(first + *index) + ".0." + *resnet;
  }
  if (kind == "attentions" && config.cross_attention && *index < config.layers) {
    return list + std::to_string(first + *index) + ".1." + rest(4);
  }
  if (kind == "downsamplers" && down && *index == 0 && parts[4] == "conv") {
    return list + std::to_string(first + config.layers) + ".0.op." + rest(5);
  }
  if (kind == "upsamplers" && !down && *index == 0 && parts[4] == "conv") {
    return list + std::to_string(first + config.layers - 1) + "." +
           (config.cross_attention ? "2" : "1") + ".conv." + rest(5);
  }
  return std::nullopt;
}

std::optional<std::string> vae_resnet(const std::vector<std::string>& parts, std::size_t from) {
  if (from >= parts.size()) return std::nullopt;
  const auto& part = parts[from];
  if (part == "conv_shortcut") return "nin_shortcut." + join(parts, from + 1);
  if (part == "norm1" || part == "norm2" || part == "conv1" || part == "conv2")
    return join(parts, from);
  return std::nullopt;
}

std::optional<std::string> vae_name(const std::string& name, const VaeConfig& vae) {
  const auto parts = split(name);
  if (parts[0] == "quant_conv" || parts[0] == "post_quant_conv") return name;
  if ((parts[0] != "encoder" && parts[0] != "decoder") || parts.size() < 3) return std::nullopt;
  const auto coder = parts[0] + ".";
  if (parts[1] == "conv_in" || parts[1] == "conv_out") return name;
  if (parts[1] == "conv_norm_out") return coder + "norm_out." + join(parts, 2);
  if (parts[1] == "mid_block" && parts.size() > 4) {
    const auto index = number(parts[3]);
    if (!index) return std::nullopt;
    if (parts[2] == "resnets" && *index < 2) {
      const auto resnet = vae_resnet(parts, 4);
      if (!resnet) return std::nullopt;
      return coder + "mid.block_" + std::to_string(*index + 1) + "." + *resnet;
    }
    if (parts[2] != "attentions" || *index != 0) return std::nullopt;
    static const std::map<std::string, std::string> names = {
        {"group_norm", "norm"}, {"to_q", "q"}, {"to_k", "k"}, {"to_v", "v"}};
    if (parts[4] == "to_out" && parts.size() > 6 && parts[5] == "0") {
      return coder + "mid.attn_1.proj_out." + join(parts, 6);
    }
    const auto it = names.find(parts[4]);
    if (it == names.end()) return std::nullopt;
    return coder + "mid.attn_1." + it->second + "." + join(parts, 5);
  }
  const bool encoder = parts[0] == "encoder";
  if (parts[1] != (encoder ? "down_blocks" : "up_blocks") || parts.size() < 6) return std::nullopt;
  const auto block = number(parts[2]);
  const auto index = number(parts[4]);
  const int levels = static_cast<int>(vae.block_out_channels.size());
  if (!block || !index || *block >= levels) return std::nullopt;
  // LDM numbers decoder levels from the lowest resolution up, diffusers from the top down.
  const auto level = coder + (encoder ? "down." : "up.") +
                     std::to_string(encoder ? *block : levels - 1 - *block) + ".";
  if (parts[3] == "resnets") {
    const auto resnet = vae_resnet(parts, 5);
    if (!resnet) return std::nullopt;
    return level + "block." + std::to_string(*index) + "." + *resnet;
  }
  if (parts[3] == (encoder ? "downsamplers" : "upsamplers") && *index == 0 && parts[5] == "conv") {
    return level + (encoder ? "downsample.conv." : "upsample.conv.") + join(parts, 6);
  }
  return std::nullopt;
}

std::optional<CheckpointTensor> open_clip_tensor(const std::string& name, int hidden,
                                                 const std::string& prefix) {
  // CLIPTextModelWithProjection's projection, which OpenCLIP applies as x @ text_projection.
  if (name == "text_projection.weight") {
    return CheckpointTensor{prefix + "text_projection", 0, 0, true};
  }
  const auto parts = split(name);
  if (parts.size() < 3 || parts[0] != "text_model") return std::nullopt;
  if (parts[1] == "embeddings" && parts.size() == 4 && parts[3] == "weight") {
    if (parts[2] == "token_embedding") return CheckpointTensor{prefix + "token_embedding.weight"};
    if (parts[2] == "position_embedding") return CheckpointTensor{prefix + "positional_embedding"};
    return std::nullopt;
  }
  if (parts[1] == "final_layer_norm")
    return CheckpointTensor{prefix + "ln_final." + join(parts, 2)};
  if (parts[1] != "encoder" || parts[2] != "layers" || parts.size() < 6) return std::nullopt;
  const auto layer = number(parts[3]);
  if (!layer) return std::nullopt;
  const auto block = prefix + "transformer.resblocks." + parts[3] + ".";
  const auto& module = parts[4];
  if (module == "layer_norm1") return CheckpointTensor{block + "ln_1." + join(parts, 5)};
  if (module == "layer_norm2") return CheckpointTensor{block + "ln_2." + join(parts, 5)};
  if (module == "mlp" && parts.size() == 7 && parts[5] == "fc1")
    return CheckpointTensor{block + "mlp.c_fc." + join(parts, 6)};
  if (module == "mlp" && parts.size() == 7 && parts[5] == "fc2")
    return CheckpointTensor{block + "mlp.c_proj." + join(parts, 6)};
  if (module != "self_attn" || parts.size() != 7) return std::nullopt;
  if (parts[5] == "out_proj") return CheckpointTensor{block + "attn.out_proj." + parts[6]};
  // q, k and v are the three thirds of one fused projection.
  static const std::map<std::string, int> thirds = {{"q_proj", 0}, {"k_proj", 1}, {"v_proj", 2}};
  const auto it = thirds.find(parts[5]);
  if (it == thirds.end()) return std::nullopt;
  return CheckpointTensor{block + "attn.in_proj_" + parts[6], it->second * hidden, hidden};
}

// The UNet's levels as the input blocks show them.
struct UNetLevel {
  int layers = 0;
  int channels = 0;
  bool attention = false;
  int transformer_layers = 0;
};

std::vector<UNetLevel> unet_levels(const SafetensorsFile& file) {
  const int blocks = count_numbered(file, kUNet + "input_blocks.");
  std::vector<UNetLevel> levels;
  int next = 1;
  while (next < blocks) {
    UNetLevel level;
    const auto first = kUNet + "input_blocks." + std::to_string(next) + ".";
    while (next < blocks &&
           !has(file, kUNet + "input_blocks." + std::to_string(next) + ".0.op.weight")) {
      ++level.layers;
      ++next;
    }
    if (level.layers == 0) throw not_a_checkpoint(file, "a UNet level without resnets");
    level.channels = static_cast<int>(shape_of(file, first + "0.out_layers.3.weight").at(0));
    level.attention = has(file, first + "1.proj_in.weight");
    level.transformer_layers = count_numbered(file, first + "1.transformer_blocks.");
    levels.push_back(level);
    ++next;  // the downsampler
  }
  if (levels.empty()) throw not_a_checkpoint(file, "the UNet has no input blocks");
  return levels;
}

// heads_by_channels: SD 2.x and SDXL split each level into heads of unet_head_channels, SD 1.x
// into 8 heads. projection_dim: SDXL's pooled text width (0 for SD 1.x / 2.x).
json unet_json(const SafetensorsFile& file, const CheckpointHints& hints, bool heads_by_channels,
               const std::string& prediction_type, int projection_dim) {
  const auto levels = unet_levels(file);
  const auto& conv_in = shape_of(file, kUNet + "input_blocks.0.0.weight");
  json j = {{"in_channels", conv_in.at(1)},
            {"out_channels", shape_of(file, kUNet + "out.2.weight").at(0)},
            {"mid_block_type", "UNetMidBlock2DCrossAttn"}};
  json channels = json::array(), heads = json::array(), layers = json::array(),
       depth = json::array(), down = json::array(), up = json::array();
  std::string attention;  // the first transformer's path, for its shapes
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto& level = levels[i];
    channels.push_back(level.channels);
    layers.push_back(level.layers);
    depth.push_back(std::max(1, level.transformer_layers));
    // SD 1.x has 8 heads at every level; SD 2.x 64 channels a head.
    const int head_channels = hints.unet_head_channels.value_or(64);
    if (heads_by_channels && level.channels % head_channels != 0) {
      throw Error(ErrorCode::model_error,
                  file.path() + ": a UNet level of " + std::to_string(level.channels) +
                      " channels does not split into heads of " + std::to_string(head_channels) +
                      ": set \"unet_head_channels\" in the model's .rendermart.json");
    }
    heads.push_back(heads_by_channels ? level.channels / head_channels : 8);
    down.push_back(level.attention ? "CrossAttnDownBlock2D" : "DownBlock2D");
    up.insert(up.begin(), level.attention ? "CrossAttnUpBlock2D" : "UpBlock2D");
    if (level.attention && attention.empty()) {
      int index = 1;
      for (std::size_t k = 0; k < i; ++k) index += levels[k].layers + 1;
      attention = kUNet + "input_blocks." + std::to_string(index) + ".1.";
    }
  }
  if (!has(file, kUNet + "middle_block.1.proj_in.weight")) {
    throw not_a_checkpoint(file, "the UNet's middle block has no attention");
  }
  if (attention.empty()) attention = kUNet + "middle_block.1.";
  j["block_out_channels"] = channels;
  j["attention_head_dim"] = heads;
  j["layers_per_block"] = layers;
  j["transformer_layers_per_block"] = depth;
  j["down_block_types"] = down;
  j["up_block_types"] = up;
  j["use_linear_projection"] = shape_of(file, attention + "proj_in.weight").size() == 2;
  j["cross_attention_dim"] =
      shape_of(file, attention + "transformer_blocks.0.attn2.to_k.weight").at(1);
  // The size the model was trained at: SDXL 1024, SD 2.x v-prediction 768, else 512 (8x VAEs).
  j["sample_size"] = projection_dim > 0 ? 128 : prediction_type == "v_prediction" ? 96 : 64;
  if (projection_dim > 0) {
    // label_emb embeds the pooled text and six sinusoidal embeddings of the size conditioning.
    const auto input = shape_of(file, kUNet + "label_emb.0.0.weight").at(1);
    j["addition_embed_type"] = "text_time";
    j["projection_class_embeddings_input_dim"] = input;
    j["addition_time_embed_dim"] = (input - projection_dim) / 6;
  }
  return j;
}

json vae_json(const SafetensorsFile& file, double scaling_factor) {
  const auto encoder = kVae + "encoder.";
  const int levels = count_numbered(file, encoder + "down.");
  if (levels == 0) throw not_a_checkpoint(file, "it has no VAE (first_stage_model.encoder.down.*)");
  json channels = json::array(), down = json::array(), up = json::array();
  for (int i = 0; i < levels; ++i) {
    channels.push_back(
        shape_of(file, encoder + "down." + std::to_string(i) + ".block.0.conv2.weight").at(0));
    down.push_back("DownEncoderBlock2D");
    up.push_back("UpDecoderBlock2D");
  }
  return {{"block_out_channels", channels},
          {"down_block_types", down},
          {"up_block_types", up},
          {"layers_per_block", count_numbered(file, encoder + "down.0.block.")},
          {"latent_channels", shape_of(file, kVae + "decoder.conv_in.weight").at(1)},
          {"in_channels", shape_of(file, encoder + "conv_in.weight").at(1)},
          {"out_channels", shape_of(file, kVae + "decoder.conv_out.weight").at(0)},
          {"scaling_factor", scaling_factor}};
}

// A text encoder below `prefix`: transformers' CLIP names, or OpenCLIP's. drop_last: SD 2.x
// conditions on the penultimate layer's output, so its last block is not used.
json text_encoder_json(const SafetensorsFile& file, const CheckpointHints& hints, bool open_clip,
                       const std::string& prefix, bool drop_last) {
  std::string token, position, layers, fc1;
  if (open_clip) {
    token = prefix + "token_embedding.weight";
    position = prefix + "positional_embedding";
    layers = prefix + "transformer.resblocks.";
    fc1 = layers + "0.mlp.c_fc.weight";
  } else {
    const auto root = has(file, prefix + "text_model.embeddings.token_embedding.weight")
                          ? prefix + "text_model."
                          : prefix;
    token = root + "embeddings.token_embedding.weight";
    position = root + "embeddings.position_embedding.weight";
    layers = root + "encoder.layers.";
    fc1 = layers + "0.mlp.fc1.weight";
  }
  const int count = count_numbered(file, layers) - (drop_last ? 1 : 0);
  if (count < 1) throw not_a_checkpoint(file, "its text encoder has no layers");
  const auto hidden = shape_of(file, token).at(1);
  if (!hints.text_encoder_heads && hidden % 64 != 0) {
    throw Error(ErrorCode::model_error,
                file.path() + ": the text encoder's width " + std::to_string(hidden) +
                    " is not a multiple of 64, so its number of attention heads is unknown: set "
                    "\"text_encoder_heads\" in the model's .rendermart.json");
  }
  json j = {
      {"vocab_size", shape_of(file, token).at(0)},
      {"hidden_size", hidden},
      {"intermediate_size", shape_of(file, fc1).at(0)},
      {"num_hidden_layers", count},
      {"num_attention_heads", hints.text_encoder_heads.value_or(static_cast<int>(hidden / 64))},
      {"max_position_embeddings", shape_of(file, position).at(0)},
      {"hidden_act", open_clip ? "gelu" : "quick_gelu"}};
  if (has(file, prefix + "text_projection")) {
    j["architectures"] = {"CLIPTextModelWithProjection"};
    j["projection_dim"] = shape_of(file, prefix + "text_projection").at(1);
  }
  return j;
}

}  // namespace

bool is_checkpoint_layout(const SafetensorsFile& file) {
  return has(file, kUNet + "input_blocks.0.0.weight");
}

CheckpointConfigs infer_checkpoint_configs(const SafetensorsFile& file,
                                           const CheckpointHints& hints) {
  if (!is_checkpoint_layout(file)) {
    throw not_a_checkpoint(file, "it has no UNet (model.diffusion_model.*)");
  }
  CheckpointConfigs configs;
  std::string prediction;
  if (has_prefix(file, "conditioner.embedders.")) {
    // SDXL: CLIP-L and OpenCLIP bigG, both conditioning with their penultimate layer (taken
    // from the full stack, as diffusers does), an epsilon UNet and a VAE scaled by 0.13025.
    if (!has_prefix(file, kSdxlClip) || !has(file, kSdxlOpenClip + "text_projection")) {
      throw not_a_checkpoint(file,
                             "its conditioner is not SDXL's two text encoders "
                             "(conditioner.embedders.0.transformer.*, "
                             "conditioner.embedders.1.model.* with text_projection)");
    }
    prediction = hints.prediction_type.value_or("epsilon");
    configs.text_encoder = parse_text_encoder_config(
        text_encoder_json(file, hints, false, kSdxlClip, false), file.path());
    configs.text_encoder_2 = parse_text_encoder_config(
        text_encoder_json(file, hints, true, kSdxlOpenClip, false), file.path());
    configs.unet = parse_unet_config(
        unet_json(file, hints, true, prediction, configs.text_encoder_2->projection_dim),
        file.path());
    configs.vae = parse_vae_config(vae_json(file, 0.13025), file.path());
  } else {
    configs.open_clip = has(file, kOpenClip + "token_embedding.weight");
    if (!configs.open_clip && !has_prefix(file, kClip)) {
      throw not_a_checkpoint(file, "it has no CLIP text encoder (cond_stage_model.*)");
    }
    prediction = hints.prediction_type.value_or(configs.open_clip ? "v_prediction" : "epsilon");
    configs.text_encoder = parse_text_encoder_config(
        text_encoder_json(file, hints, configs.open_clip, configs.open_clip ? kOpenClip : kClip,
                          configs.open_clip),
        file.path());
    configs.unet =
        parse_unet_config(unet_json(file, hints, configs.open_clip, prediction, 0), file.path());
    configs.vae = parse_vae_config(vae_json(file, 0.18215), file.path());
  }
  // The schedule every SD 1.x / 2.x and SDXL model was trained with (CompVis' configs: linear_start
  // 0.00085, linear_end 0.012, 1000 steps), with the settings diffusers' single-file loader uses.
  configs.scheduler = parse_scheduler_config({{"beta_start", 0.00085},
                                              {"beta_end", 0.012},
                                              {"beta_schedule", "scaled_linear"},
                                              {"num_train_timesteps", 1000},
                                              {"steps_offset", 1},
                                              {"set_alpha_to_one", false},
                                              {"timestep_spacing", "leading"},
                                              {"prediction_type", prediction}},
                                             file.path());
  return configs;
}

std::optional<CheckpointTensor> checkpoint_tensor(CheckpointComponent component,
                                                  const std::string& name,
                                                  const CheckpointConfigs& configs,
                                                  const SafetensorsFile& file) {
  switch (component) {
    case CheckpointComponent::unet: {
      const auto ldm = unet_name(name, configs.unet);
      if (!ldm) return std::nullopt;
      return CheckpointTensor{kUNet + *ldm};
    }
    case CheckpointComponent::vae: {
      const auto ldm = vae_name(name, configs.vae);
      if (!ldm) return std::nullopt;
      return CheckpointTensor{kVae + *ldm};
    }
    case CheckpointComponent::text_encoder: {
      if (configs.open_clip) {
        return open_clip_tensor(name, configs.text_encoder.hidden_size, kOpenClip);
      }
      const auto& prefix = configs.text_encoder_2 ? kSdxlClip : kClip;
      // Older checkpoints lack transformers' text_model level.
      if (!has(file, prefix + name) && name.compare(0, 11, "text_model.") == 0) {
        return CheckpointTensor{prefix + name.substr(11)};
      }
      return CheckpointTensor{prefix + name};
    }
    case CheckpointComponent::text_encoder_2:
      if (!configs.text_encoder_2) return std::nullopt;
      return open_clip_tensor(name, configs.text_encoder_2->hidden_size, kSdxlOpenClip);
  }
  return std::nullopt;
}

std::optional<std::string> original_unet_name(const std::string& name, const UNetConfig& unet) {
  return unet_name(name, unet);
}

}  // namespace rendermart::diffusion
