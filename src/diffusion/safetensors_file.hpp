#pragma once

// A .safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header that
// names each tensor's dtype, shape and byte range, then the raw little-endian data. Opening checks
// the whole header against the file (ranges inside the data, sizes = dtype size x shape), so that a
// truncated or corrupt file is an Error(model_error) here, never a read past the end later.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rendermart::diffusion {

enum class StoredType { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

std::size_t byte_size(StoredType type);
const char* to_string(StoredType type);

struct StoredTensor {
  StoredType type = StoredType::f32;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // from the start of the data section
  std::size_t bytes = 0;
};

class SafetensorsFile {
 public:
  // Maps the file read-only and validates its header. Throws Error(model_error) naming the file.
  explicit SafetensorsFile(std::string path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, StoredTensor>& tensors() const { return tensors_; }
  // The tensor's bytes inside the mapping; valid while this object lives.
  const std::uint8_t* data(const StoredTensor& tensor) const { return data_ + tensor.offset; }
  // Everything after the header, as one block.
  std::string_view data_section() const {
    return {reinterpret_cast<const char*>(data_), data_bytes_};
  }
  // The header's __metadata__ (string values only).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string path_;
  std::uint8_t* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  const std::uint8_t* data_ = nullptr;
  std::size_t data_bytes_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, StoredTensor> tensors_;
};

// The weights of a component folder: <stem>.safetensors, else the <stem>.fp16.safetensors variant
// that published checkpoints also ship. Throws Error(model_error) when neither exists.
std::string find_weight_file(const std::string& folder, const std::string& stem);

}  // namespace rendermart::diffusion
