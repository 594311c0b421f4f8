#pragma once

// What RenderMart knows of an OpenAI-compatible service's image models.
//
// Which of the service's models are image models RenderMart can drive, and what
// each can do: data, not code. A family matches model ids (a snapshot such as
// gpt-image-2.5-flare-2026-09-08 belongs to its family) and declares the sizes, counts,
// qualities and styles of its models. The built-in table describes OpenAI's current image
// models; a JSON file (RENDERMART_OPENAI_FAMILIES_FILE) can add families or replace built-in
// ones by name without a rebuild. The format, one object:
//
//   {"families": [{
//     "name": "gpt-image-2",                 // replaces the built-in family of that name
//     "match": "^gpt-image-2(-\\d{4}-\\d{2}-\\d{2})?$",   // ECMAScript regex over the model id
//     "sizes": ["1024x1024", "1536x1024"],   // fixed sizes, or else:
//     "free_sizes": {"min": 816, "max": 3840, "multiple": 16, "max_pixels": 8294400,
//                    "max_aspect_ratio": 3, "default": "1024x1024"},
//     "max_images": 10, "max_prompt_length": 32000,
//     "qualities": ["auto", "low"], "styles": [],
//     "response_format": false,               // whether the API takes response_format
//     "backgrounds": ["auto", "opaque"],      // "background" values, the default first
//     "moderations": ["auto", "low"],         // "moderation" values, the default first
//     "partial_images": 2,                    // previews to stream (0-3); 0: no streaming
//     "edits": true                           // inpaint through /v1/images/edits
//   }]}

#include <regex>
#include <string>
#include <vector>

#include "core/model_info.hpp"
#include "providers/model_lifecycle.hpp"

namespace rendermart {

// What an image model of the OpenAI-compatible API can do.
struct OpenAiCapabilities {
  std::vector<Size> sizes;  // fixed sizes; empty: any size within the free limits below
  int min_side = 0;
  int max_side = 0;
  int size_multiple = 1;
  std::int64_t max_pixels = 0;
  double max_aspect_ratio = 0;
  Size default_size{1024, 1024};
  int max_count = 1;
  int max_prompt_length = 4000;
  std::vector<std::string> qualities;
  std::vector<std::string> styles;
  // dall-e models took response_format; gpt-image models always answer base64 and refuse it.
  bool response_format = true;
  std::vector<std::string> backgrounds;  // "background" values, the default first; empty: none
  std::vector<std::string> moderations;  // "moderation" values, the default first; empty: none
  // Partial images asked for while streaming (stream: true), shown as previews; 0: no stream.
  int partial_images = 0;
  // Inpainting through /v1/images/edits, with a mask whose transparent pixels mark the area.
  bool edits = false;
};

struct OpenAiFamily {
  std::string name;
  std::string pattern;  // as written, for messages
  std::regex match;
  OpenAiCapabilities capabilities;
};

// OpenAI's image model families as its documentation describes them (sources:
// docs/cloud-models.md).
std::vector<OpenAiFamily> builtin_openai_families();

// Parses the JSON format above; `source` names it in errors. Throws Error(invalid_argument,
// field "openai_families_file").
std::vector<OpenAiFamily> parse_openai_families(const std::string& json, const std::string& source);

// `extra` first (so that its patterns win), then the built-in families it does not replace by
// name.
std::vector<OpenAiFamily> merge_openai_families(std::vector<OpenAiFamily> extra,
                                                const std::vector<OpenAiFamily>& builtin);

// The first family whose pattern matches the whole id; nothing for an id no family knows.
const OpenAiFamily* find_openai_family(const std::vector<OpenAiFamily>& families,
                                       const std::string& model_id);

// The image models OpenAI has shut down, with the replacements its deprecations page names
// (sources: docs/cloud-models.md). A configuration naming one is refused at start.
const std::vector<RetiredModel>& retired_openai_models();

}  // namespace rendermart
