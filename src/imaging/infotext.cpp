#include "imaging/infotext.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

namespace rendermart {

namespace {

// A1111's infotext_utils.quote: JSON-quote a value that would otherwise break the field syntax.
std::string quote(const std::string& value) {
  if (value.find_first_of(",\n:") == std::string::npos) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A1111's infotext_utils.unquote: a value in double quotes is a JSON string; if it does not parse
// it is kept as written.
std::string unquote(const std::string& value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return value;
  const auto parsed = nlohmann::json::parse(value, nullptr, false);
  return parsed.is_string() ? parsed.get<std::string>() : value;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Matches A1111's re_param at `pos`:  \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
// On success sets key, value and the position after the match. Hand-written rather than
// std::regex, whose recursive matcher can exhaust the stack on a long quoted value.
bool match_param(std::string_view line, std::size_t pos, std::string& key, std::string& value,
                 std::size_t& end) {
  std::size_t i = pos;
  while (i < line.size() && is_space(line[i])) ++i;
  const std::size_t key_begin = i;
  if (i >= line.size() || !is_word(line[i])) return false;
  ++i;
  while (i < line.size() &&
         (is_word(line[i]) || line[i] == ' ' || line[i] == '-' || line[i] == '/')) {
    ++i;
  }
  if (i - key_begin < 2 || i >= line.size() || line[i] != ':') return false;
  key.assign(line.substr(key_begin, i - key_begin));
  ++i;
  while (i < line.size() && is_space(line[i])) ++i;

  const std::size_t value_begin = i;
  if (i < line.size() && line[i] == '"') {
    std::size_t j = i + 1;
    while (j < line.size() && line[j] != '"') j += (line[j] == '\\' && j + 1 < line.size()) ? 2 : 1;
    const bool closed = j < line.size() && j > i + 1;
    if (closed && (j + 1 == line.size() || line[j + 1] == ',')) {
      value.assign(line.substr(value_begin, j + 1 - value_begin));
      end = j + 1 == line.size() ? j + 1 : j + 2;
      return true;
    }
  }
  std::size_t j = value_begin;
  while (j < line.size() && line[j] != ',') ++j;
  value.assign(line.substr(value_begin, j - value_begin));
  end = j == line.size() ? j : j + 1;
  return true;
}

// re.findall(re_param, line).
std::vector<std::pair<std::string, std::string>> find_params(std::string_view line) {
  std::vector<std::pair<std::string, std::string>> found;
  std::size_t pos = 0;
  std::string key;
  std::string value;
  while (pos <= line.size()) {
    std::size_t end = 0;
    if (match_param(line, pos, key, value, end)) {
      found.emplace_back(key, value);
      // An empty match cannot happen (a key has two characters), so this always advances.
      pos = end;
      if (pos == line.size()) break;
    } else {
      ++pos;
    }
  }
  return found;
}

template <typename T>
void parse_number(std::string_view text, T& out) {
  text = trim(text);
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size()) out = value;
}

}  // namespace

std::string a1111_parameters(const GenerationParams& params, const std::string& model_name) {
  std::vector<std::string> fields;
  if (params.steps > 0) fields.push_back(fmt::format("Steps: {}", params.steps));
  // {} prints the shortest exact form: 7 and 7.5, as A1111 shows them.
  if (params.cfg_scale > 0) fields.push_back(fmt::format("CFG scale: {}", params.cfg_scale));
  fields.push_back(fmt::format("Seed: {}", params.seed));
  fields.push_back(fmt::format("Size: {}x{}", params.width, params.height));
  fields.push_back("Model: " + quote(model_name));
  if (!params.style.empty()) fields.push_back("Style: " + quote(params.style));
  if (params.task == GenerationTask::image_to_image || task_uses_mask(params.task)) {
    fields.push_back(fmt::format("Denoising strength: {}", params.strength));
  }
  if (task_uses_mask(params.task)) fields.push_back(fmt::format("Mask blur: {}", params.mask_blur));
  // As A1111's extra networks write it (extensions-builtin/Lora/extra_networks_lora.py): each
  // LoRA's name and short hash, one quoted value.
  if (!params.loras.empty()) {
    std::string hashes;
    for (const auto& lora : params.loras) {
      hashes += (hashes.empty() ? "" : ", ") + lora.name + ": " + lora.hash;
    }
    fields.push_back("Lora hashes: " + quote(hashes));
  }
  // The key of A1111's upscalers (the Extras tab): by how much the source was enlarged.
  if (task_scale(params.task) != 1) {
    fields.push_back(fmt::format("Postprocess upscale by: {}", task_scale(params.task)));
  }

  std::string text = params.prompt;
  if (!params.negative_prompt.empty()) text += "\nNegative prompt: " + params.negative_prompt;
  for (std::size_t i = 0; i < fields.size(); ++i) text += (i == 0 ? "\n" : ", ") + fields[i];
  return std::string(trim(text));
}

GenerationParams parse_a1111_parameters(const std::string& text) {
  std::vector<std::string_view> lines;
  const std::string_view all = trim(text);
  for (std::size_t begin = 0;;) {
    const std::size_t nl = all.find('\n', begin);
    lines.push_back(all.substr(begin, nl == std::string_view::npos ? nl : nl - begin));
    if (nl == std::string_view::npos) break;
    begin = nl + 1;
  }
  std::vector<std::pair<std::string, std::string>> fields = find_params(lines.back());
  if (fields.size() < 3) {
    fields.clear();
  } else {
    lines.pop_back();
  }

  GenerationParams params;
  bool in_negative = false;
  constexpr std::string_view negative_label = "Negative prompt:";
  for (std::string_view line : lines) {
    line = trim(line);
    if (line.starts_with(negative_label)) {
      in_negative = true;
      line = trim(line.substr(negative_label.size()));
    }
    std::string& target = in_negative ? params.negative_prompt : params.prompt;
    if (!target.empty()) target += '\n';
    target += line;
  }

  for (auto& [key, raw] : fields) {
    const std::string value = unquote(raw);
    if (key == "Steps") {
      parse_number(value, params.steps);
    } else if (key == "CFG scale") {
      parse_number(value, params.cfg_scale);
    } else if (key == "Seed") {
      parse_number(value, params.seed);
    } else if (key == "Size") {
      const std::size_t x = value.find('x');
      if (x != std::string::npos) {
        parse_number(std::string_view(value).substr(0, x), params.width);
        parse_number(std::string_view(value).substr(x + 1), params.height);
      }
    } else if (key == "Model") {
      params.model = value;
    } else if (key == "Style") {
      params.style = value;
    }
  }
  return params;
}

std::string params_json(const GenerationParams& params) {
  nlohmann::json object = {
      {"prompt", params.prompt},
      {"negative_prompt", params.negative_prompt},
      {"model", params.model},
      {"style", params.style},
      {"width", params.width},
      {"height", params.height},
      {"steps", params.steps},
      {"cfg_scale", params.cfg_scale},
      {"seed", params.seed},
      {"count", params.count},
      {"quality", params.quality},
      {"task", to_string(params.task)},
      {"source_image_id", params.source_image_id},
      {"mask_image_id", params.mask_image_id},
      {"strength", params.strength},
      {"mask_blur", params.mask_blur},
      {"loras", nlohmann::json::array()},
  };
  for (const auto& lora : params.loras) {
    object["loras"].push_back({{"name", lora.name}, {"weight", lora.weight}, {"hash", lora.hash}});
  }
  // The settings only some models take, where the generation has them.
  for (const auto& [key, value] :
       {std::pair{"background", params.background}, std::pair{"moderation", params.moderation},
        std::pair{"search_prompt", params.search_prompt},
        std::pair{"style_image_id", params.style_image_id},
        std::pair{"style_preset", params.style_preset}}) {
    if (!value.empty()) object[key] = value;
  }
  for (const auto& [key, value] : {std::pair{"creativity", params.creativity},
                                   std::pair{"control_strength", params.control_strength},
                                   std::pair{"composition_fidelity", params.composition_fidelity},
                                   std::pair{"change_strength", params.change_strength}}) {
    if (value != 0) object[key] = value;
  }
  if (params.grow_mask != 0) object["grow_mask"] = params.grow_mask;
  // Replace rather than throw on invalid UTF-8: the parameters were validated upstream, and an
  // image must never fail to save over its metadata.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rendermart
