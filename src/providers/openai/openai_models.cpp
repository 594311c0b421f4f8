#include "providers/openai/openai_models.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

// OpenAI's current image models. Sizes: any width and height that are multiples of 16, the
// longer side at most 3840 and at most three times the shorter, 655,360 to 8,294,400 pixels;
// RenderMart has no pixel minimum, so its smallest side is 816 (816 x 816 = 665,856), which
// keeps every size it accepts within OpenAI's. Up to 10 images per request, prompts up to 32,000
// characters; the images come back as base64 and the API refuses response_format. background
// auto or opaque (OpenAI's reference: gpt-image-2 refuses transparent; no source says the later
// models take it), moderation auto or low, up to 3 partial images when streaming (RenderMart asks
// for 2: each costs output tokens), edits with a mask.
constexpr const char* kBuiltinFamilies = R"({"families": [
  {"name": "gpt-image-2", "match": "^gpt-image-2(-\\d{4}-\\d{2}-\\d{2})?$",
   "free_sizes": {"min": 816, "max": 3840, "multiple": 16, "max_pixels": 8294400,
                  "max_aspect_ratio": 3, "default": "1024x1024"},
   "max_images": 10, "max_prompt_length": 32000,
   "qualities": ["auto", "low", "medium", "high"], "response_format": false,
   "backgrounds": ["auto", "opaque"], "moderations": ["auto", "low"], "partial_images": 2,
   "edits": true},
  {"name": "gpt-image-2.5", "match": "^gpt-image-2\\.5-(flare|sunburst)(-\\d{4}-\\d{2}-\\d{2})?$",
   "free_sizes": {"min": 816, "max": 3840, "multiple": 16, "max_pixels": 8294400,
                  "max_aspect_ratio": 3, "default": "1024x1024"},
   "max_images": 10, "max_prompt_length": 32000,
   "qualities": ["auto", "low", "medium", "high", "xhigh", "max"], "response_format": false,
   "backgrounds": ["auto", "opaque"], "moderations": ["auto", "low"], "partial_images": 2,
   "edits": true},
  {"name": "gpt-image-2.6", "match": "^gpt-image-2\\.6-(flare|sunburst)(-\\d{4}-\\d{2}-\\d{2})?$",
   "free_sizes": {"min": 816, "max": 3840, "multiple": 16, "max_pixels": 8294400,
                  "max_aspect_ratio": 3, "default": "1024x1024"},
   "max_images": 10, "max_prompt_length": 32000,
   "qualities": ["auto", "low", "medium", "high", "xhigh", "max"], "response_format": false,
   "backgrounds": ["auto", "opaque"], "moderations": ["auto", "low"], "partial_images": 2,
   "edits": true}
]})";

Error bad_families(const std::string& source, const std::string& why) {
  return invalid_argument("openai_families_file", source + ": " + why);
}

int positive(const json& object, const char* key, int fallback, const std::string& where) {
  if (!object.contains(key)) return fallback;
  if (!object[key].is_number_integer() || object[key].get<long long>() <= 0 ||
      object[key].get<long long>() > 1'000'000'000) {
    throw bad_families(where, std::string("'") + key + "' must be a positive whole number");
  }
  return object[key].get<int>();
}

Size parse_size(const json& value, const std::string& where) {
  const std::string text = value.is_string() ? value.get<std::string>() : "";
  const auto x = text.find('x');
  Size size;
  const auto read = [&](std::string_view part, int& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size() && out > 0;
  };
  if (x == std::string::npos || !read(std::string_view(text).substr(0, x), size.width) ||
      !read(std::string_view(text).substr(x + 1), size.height)) {
    throw bad_families(where, "size " + value.dump() + " is not \"WIDTHxHEIGHT\"");
  }
  return size;
}

std::vector<std::string> strings(const json& object, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!object.contains(key)) return out;
  if (!object[key].is_array())
    throw bad_families(where, std::string("'") + key + "' must be a list");
  for (const auto& item : object[key]) {
    if (!item.is_string())
      throw bad_families(where, std::string("'") + key + "' must list strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

OpenAiFamily parse_family(const json& item, const std::string& source) {
  if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
      !item.contains("match") || !item["match"].is_string()) {
    throw bad_families(source, "each family needs a \"name\" and a \"match\" pattern");
  }
  OpenAiFamily family;
  family.name = item["name"].get<std::string>();
  family.pattern = item["match"].get<std::string>();
  const std::string where = source + ", family " + family.name;
  try {
    family.match = std::regex(family.pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw bad_families(where,
                       std::string("'match' is not a regular expression (") + e.what() + ")");
  }
  auto& caps = family.capabilities;
  if (item.contains("sizes")) {
    if (!item["sizes"].is_array()) throw bad_families(where, "'sizes' must be a list");
    for (const auto& size : item["sizes"]) caps.sizes.push_back(parse_size(size, where));
  }
  if (item.contains("free_sizes")) {
    const auto& free = item["free_sizes"];
    if (!free.is_object()) throw bad_families(where, "'free_sizes' must be an object");
    caps.min_side = positive(free, "min", 64, where);
    caps.max_side = positive(free, "max", 2048, where);
    caps.size_multiple = positive(free, "multiple", 1, where);
    caps.max_pixels = positive(free, "max_pixels", 0, where);
    if (free.contains("max_aspect_ratio")) {
      if (!free["max_aspect_ratio"].is_number() || free["max_aspect_ratio"].get<double>() < 1) {
        throw bad_families(where, "'max_aspect_ratio' must be a number of at least 1");
      }
      caps.max_aspect_ratio = free["max_aspect_ratio"].get<double>();
    }
    if (free.contains("default")) caps.default_size = parse_size(free["default"], where);
  }
  if (caps.sizes.empty() == !item.contains("free_sizes")) {
    throw bad_families(where, "give either 'sizes' (fixed sizes) or 'free_sizes'");
  }
  if (!caps.sizes.empty()) caps.default_size = caps.sizes.front();
  caps.max_count = positive(item, "max_images", 1, where);
  caps.max_prompt_length = positive(item, "max_prompt_length", 4000, where);
  caps.qualities = strings(item, "qualities", where);
  caps.styles = strings(item, "styles", where);
  caps.backgrounds = strings(item, "backgrounds", where);
  caps.moderations = strings(item, "moderations", where);
  if (item.contains("partial_images")) {
    const auto& value = item["partial_images"];
    if (!value.is_number_integer() || value.get<int>() < 0 || value.get<int>() > 3) {
      throw bad_families(where, "'partial_images' must be a whole number from 0 to 3");
    }
    caps.partial_images = value.get<int>();
  }
  if (item.contains("edits")) {
    if (!item["edits"].is_boolean()) throw bad_families(where, "'edits' must be true or false");
    caps.edits = item["edits"].get<bool>();
  }
  if (item.contains("response_format")) {
    if (!item["response_format"].is_boolean()) {
      throw bad_families(where, "'response_format' must be true or false");
    }
    caps.response_format = item["response_format"].get<bool>();
  }
  return family;
}

}  // namespace

std::vector<OpenAiFamily> builtin_openai_families() {
  return parse_openai_families(kBuiltinFamilies, "the built-in OpenAI model families");
}

std::vector<OpenAiFamily> parse_openai_families(const std::string& text,
                                                const std::string& source) {
  const auto document = json::parse(text, nullptr, false);
  if (!document.is_object() || !document.contains("families") || !document["families"].is_array()) {
    throw bad_families(source, "expected a JSON object {\"families\": [...]}");
  }
  std::vector<OpenAiFamily> families;
  for (const auto& item : document["families"]) families.push_back(parse_family(item, source));
  return families;
}

std::vector<OpenAiFamily> merge_openai_families(std::vector<OpenAiFamily> extra,
                                                const std::vector<OpenAiFamily>& builtin) {
  for (const auto& family : builtin) {
    const bool replaced = std::any_of(extra.begin(), extra.end(),
                                      [&](const OpenAiFamily& f) { return f.name == family.name; });
    if (!replaced) extra.push_back(family);
  }
  return extra;
}

const OpenAiFamily* find_openai_family(const std::vector<OpenAiFamily>& families,
                                       const std::string& model_id) {
  for (const auto& family : families) {
    if (std::regex_match(model_id, family.match)) return &family;
  }
  return nullptr;
}

const std::vector<RetiredModel>& retired_openai_models() {
  static const std::vector<RetiredModel> models = {
      {"dall-e-2", "2026-05-12", ""},
      {"dall-e-3", "2026-05-12", "gpt-image-2.5-sunburst"},
      {"gpt-image-1", "2026-10-23", ""},
      {"gpt-image-1-mini", "2026-12-01", "gpt-image-2.6-sunburst or gpt-image-2.6-flare"},
      {"gpt-image-1.5", "2026-12-01", "gpt-image-2.6-sunburst or gpt-image-2.6-flare"},
      {"gpt-image-1.5-2025-12-16", "2026-12-01", "gpt-image-2.6-sunburst or gpt-image-2.6-flare"},
      {"chatgpt-image-latest", "2026-12-01", "gpt-image-2.6-sunburst or gpt-image-2.6-flare"},
  };
  return models;
}

}  // namespace rendermart
