#pragma once

// Generation parameters as text, embedded in every PNG: the AUTOMATIC1111 "parameters" format that
// image viewers, galleries and other generators read, plus a JSON form for exact round trips.

#include <string>

#include "core/domain.hpp"

namespace rendermart {

// AUTOMATIC1111's infotext (modules/processing.py create_infotext):
//   <prompt>
//   Negative prompt: <negative prompt>            (only when there is one)
//   Steps: 20, CFG scale: 7, Seed: 123, Size: 512x512, Model: procedural, Style: watercolor
// Steps and CFG scale appear only when positive, Style only when set. A value holding a comma,
// colon or newline is written as a JSON string, as A1111 does. There is no Sampler field: the
// parameters have none.
std::string a1111_parameters(const GenerationParams& params, const std::string& model_name);

// Reads that format as A1111 does (modules/infotext_utils.py parse_generation_parameters): the
// last line holds the fields when it has at least three "Key: value" pairs. Fields that are missing
// or do not parse keep their default values; count is 1.
GenerationParams parse_a1111_parameters(const std::string& text);

// Every parameter as one compact JSON object, for the "rendermart" text chunk.
std::string params_json(const GenerationParams& params);

}  // namespace rendermart
