#pragma once

// Where a model comes from, as a user writes it: a Hugging Face Hub repository
// ("OWNER/NAME" or "OWNER/NAME@REVISION") or the URL of one .safetensors checkpoint; and the
// names models are installed under.

#include <string>

namespace rendermart::library {

struct HubRepo {
  std::string id;        // OWNER/NAME
  std::string revision;  // a branch, tag or commit; "main" when none was given
};

struct ModelSource {
  enum class Kind { hub, url };
  Kind kind = Kind::hub;
  HubRepo repo;     // kind hub
  std::string url;  // kind url
};

// Throws Error(invalid_argument, field "source") naming what is wrong. URLs must be https (http
// only to this machine, for tests and local mirrors) and must not name pickled weights (.ckpt,
// .pt, .pth, .bin), which RenderMart never loads.
ModelSource parse_source(const std::string& text);

// "hf:OWNER/NAME@REVISION" or the URL: what rendermart.json records as the model's source.
std::string describe_source(const ModelSource& source);

// The name a source installs under when none is given: the repository's name part, or the URL's
// file name without ".safetensors". Throws Error(invalid_argument, field "name") when that is
// not a valid name (a URL that names no .safetensors file).
std::string default_name(const ModelSource& source);

// Throws Error(invalid_argument, field "name") unless the name is 1 to 100 letters, digits, '.',
// '_' and '-', does not start with '.' (hidden entries of the models folder are downloads in
// progress) and does not end with ".safetensors".
void check_model_name(const std::string& name);

}  // namespace rendermart::library
