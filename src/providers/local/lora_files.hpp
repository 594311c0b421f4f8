#pragma once

// The LoRA files of a models folder: <models>/loras/<name>.safetensors in the kohya / AUTOMATIC1111
// format, each with the model family it was trained on and AUTOMATIC1111's short hash.

#include <string>
#include <vector>

namespace rendermart {

struct LoraFile {
  std::string name;  // the file name without .safetensors: what <lora:name> and `loras` say
  std::string path;
  // sd1, sd2 or sdxl; empty when neither its metadata nor its layers tell (offered to every
  // local model; the engine refuses it at generation when its layers do not fit).
  std::string family;
  // AUTOMATIC1111's "Lora hashes" value: the first 12 hex digits of the SHA-256 of everything
  // after the safetensors header (modules/hashes.py addnet_hash_safetensors).
  std::string hash;
  std::string stamp;  // the file's size and modification time, when its hash was computed
};

// Every readable LoRA file of `loras_dir`, by name; unreadable ones are skipped with a warning.
// `known` are the results of an earlier scan: a file of the same path and stamp keeps its hash
// instead of being read again (hashing reads the whole file).
std::vector<LoraFile> scan_lora_files(const std::string& loras_dir,
                                      const std::vector<LoraFile>& known = {});

}  // namespace rendermart
