#include "diffusion/safetensors_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

// A header is a few hundred bytes per tensor; anything near this is not a safetensors file.
constexpr std::uint64_t kMaxHeaderBytes = 100u * 1024 * 1024;

Error corrupt(const std::string& path, const std::string& what) {
  return Error(ErrorCode::model_error,
               path + " is not a valid safetensors file (" + what +
                   "): download the model again or remove it from the models folder");
}

StoredType parse_type(const std::string& path, const std::string& text) {
  static const std::map<std::string, StoredType> types = {
      {"F64", StoredType::f64},     {"F32", StoredType::f32}, {"F16", StoredType::f16},
      {"BF16", StoredType::bf16},   {"I64", StoredType::i64}, {"I32", StoredType::i32},
      {"I16", StoredType::i16},     {"I8", StoredType::i8},   {"U8", StoredType::u8},
      {"BOOL", StoredType::boolean}};
  const auto it = types.find(text);
  if (it == types.end()) throw corrupt(path, "unsupported dtype " + text);
  return it->second;
}

}  // namespace

std::size_t byte_size(StoredType type) {
  switch (type) {
    case StoredType::f64:
    case StoredType::i64: return 8;
    case StoredType::f32:
    case StoredType::i32: return 4;
    case StoredType::f16:
    case StoredType::bf16:
    case StoredType::i16: return 2;
    case StoredType::i8:
    case StoredType::u8:
    case StoredType::boolean: return 1;
  }
  return 1;
}

const char* to_string(StoredType type) {
  switch (type) {
    case StoredType::f64: return "F64";
    case StoredType::f32: return "F32";
    case StoredType::f16: return "F16";
    case StoredType::bf16: return "BF16";
    case StoredType::i64: return "I64";
    case StoredType::i32: return "I32";
    case StoredType::i16: return "I16";
    case StoredType::i8: return "I8";
    case StoredType::u8: return "U8";
    case StoredType::boolean: return "BOOL";
  }
  return "?";
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCode::model_error, "cannot open " + path_ + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    throw Error(ErrorCode::model_error, "cannot read " + path_ + ": " + std::strerror(errno));
  }
  mapping_size_ = static_cast<std::size_t>(info.st_size);
  if (mapping_size_ < 8) {
    ::close(fd);
    throw corrupt(path_, "shorter than its 8-byte header length");
  }
  void* mapped = ::mmap(nullptr, mapping_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) {
    throw Error(ErrorCode::model_error, "cannot map " + path_ + ": " + std::strerror(errno));
  }
  mapping_ = static_cast<std::uint8_t*>(mapped);
  try {
    std::uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | mapping_[i];
    if (header_bytes > kMaxHeaderBytes || header_bytes > mapping_size_ - 8) {
      throw corrupt(path_, "header length " + std::to_string(header_bytes) +
                               " does not fit the file of " + std::to_string(mapping_size_) +
                               " bytes; truncated?");
    }
    const auto* header_begin = reinterpret_cast<const char*>(mapping_ + 8);
    const auto header =
        nlohmann::json::parse(header_begin, header_begin + header_bytes, nullptr, false);
    if (!header.is_object()) throw corrupt(path_, "the header is not a JSON object");
    data_ = mapping_ + 8 + header_bytes;
    const std::size_t data_bytes = mapping_size_ - 8 - header_bytes;
    data_bytes_ = data_bytes;

    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        // Free-form text pairs (training tools record the base model here); others are ignored.
        if (entry.is_object()) {
          for (const auto& [key, value] : entry.items()) {
            if (value.is_string()) metadata_[key] = value.get<std::string>();
          }
        }
        continue;
      }
      const auto dtype = entry.find("dtype");
      const auto shape = entry.find("shape");
      const auto offsets = entry.find("data_offsets");
      if (!entry.is_object() || dtype == entry.end() || !dtype->is_string() ||
          shape == entry.end() || !shape->is_array() || offsets == entry.end() ||
          !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
          !(*offsets)[1].is_number_unsigned()) {
        throw corrupt(path_, "malformed entry for " + name);
      }
      StoredTensor tensor;
      tensor.type = parse_type(path_, dtype->get<std::string>());
      std::uint64_t elements = 1;
      for (const auto& dim : *shape) {
        if (!dim.is_number_unsigned()) throw corrupt(path_, "bad shape of " + name);
        const auto size = dim.get<std::uint64_t>();
        if (size != 0 && elements > std::numeric_limits<std::uint64_t>::max() / size) {
          throw corrupt(path_, "shape of " + name + " overflows");
        }
        elements *= size;
        tensor.shape.push_back(static_cast<std::int64_t>(size));
      }
      const auto begin = (*offsets)[0].get<std::uint64_t>();
      const auto end = (*offsets)[1].get<std::uint64_t>();
      if (begin > end || end > data_bytes) {
        throw corrupt(path_, name + " lies outside the file's " + std::to_string(data_bytes) +
                                 " data bytes; truncated?");
      }
      if (end - begin != elements * byte_size(tensor.type)) {
        throw corrupt(path_, name + " has " + std::to_string(end - begin) + " bytes for " +
                                 std::to_string(elements) + " elements of " +
                                 to_string(tensor.type));
      }
      tensor.offset = begin;
      tensor.bytes = end - begin;
      ranges.emplace_back(begin, end);
      tensors_.emplace(name, std::move(tensor));
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].first < ranges[i - 1].second) throw corrupt(path_, "tensors overlap");
    }
  } catch (...) {
    ::munmap(mapping_, mapping_size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() { ::munmap(mapping_, mapping_size_); }

std::string find_weight_file(const std::string& folder, const std::string& stem) {
  for (const auto& name : {stem + ".safetensors", stem + ".fp16.safetensors"}) {
    const auto path = std::filesystem::path(folder) / name;
    if (std::filesystem::is_regular_file(path)) return path.string();
  }
  throw Error(ErrorCode::model_error, "missing file " + folder + "/" + stem +
                                          ".safetensors (only safetensors weights are read)");
}

}  // namespace rendermart::diffusion
