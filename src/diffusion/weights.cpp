#include "diffusion/weights.hpp"

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

at::ScalarType to_scalar_type(StoredType type) {
  switch (type) {
    case StoredType::f64: return at::kDouble;
    case StoredType::f32: return at::kFloat;
    case StoredType::f16: return at::kHalf;
    case StoredType::bf16: return at::kBFloat16;
    case StoredType::i64: return at::kLong;
    case StoredType::i32: return at::kInt;
    case StoredType::i16: return at::kShort;
    case StoredType::i8: return at::kChar;
    case StoredType::u8: return at::kByte;
    case StoredType::boolean: return at::kBool;
  }
  return at::kFloat;
}

std::string shape_text(at::IntArrayRef shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// A floating-point tensor of the file, as a view of its mapping (which stays alive as long as
// any tensor viewing it).
at::Tensor stored_view(const std::shared_ptr<SafetensorsFile>& file, const std::string& name,
                       const StoredTensor& stored) {
  const auto type = to_scalar_type(stored.type);
  if (!at::isFloatingType(type)) {
    throw Error(ErrorCode::model_error, file->path() + ": " + name + " is not floating point");
  }
  auto keep = file;
  return at::from_blob(
      const_cast<std::uint8_t*>(file->data(stored)), stored.shape, [keep](void*) {},
      at::TensorOptions().dtype(type));
}

}  // namespace

SafetensorsWeights::SafetensorsWeights(const std::vector<std::string>& files) {
  for (const auto& path : files) {
    auto file = std::make_shared<SafetensorsFile>(path);
    for (const auto& [name, tensor] : file->tensors()) {
      if (has(name)) throw Error(ErrorCode::model_error, name + " is in two weight files");
    }
    files_.push_back(std::move(file));
  }
}

bool SafetensorsWeights::has(const std::string& name) const {
  for (const auto& file : files_) {
    if (file->tensors().count(name)) return true;
  }
  return false;
}

at::Tensor SafetensorsWeights::get(const std::string& name, at::IntArrayRef shape,
                                   at::ScalarType dtype) {
  for (const auto& file : files_) {
    const auto it = file->tensors().find(name);
    if (it == file->tensors().end()) continue;
    const StoredTensor& stored = it->second;
    if (at::IntArrayRef(stored.shape) != shape) {
      throw Error(ErrorCode::model_error, file->path() + ": " + name + " has shape " +
                                              shape_text(stored.shape) + ", the architecture in " +
                                              "config.json needs " + shape_text(shape));
    }
    const auto view = stored_view(file, name, stored);
    return count(view.scalar_type() == dtype ? view : view.to(dtype));
  }
  throw Error(ErrorCode::model_error,
              "the weights have no tensor " + name +
                  ": the files do not match the architecture in config.json");
}

CheckpointWeights::CheckpointWeights(std::shared_ptr<SafetensorsFile> file,
                                     CheckpointComponent component, CheckpointConfigs configs)
    : file_(std::move(file)), component_(component), configs_(std::move(configs)) {}

bool CheckpointWeights::has(const std::string& name) const {
  const auto where = checkpoint_tensor(component_, name, configs_, *file_);
  return where && file_->tensors().count(where->name) != 0;
}

at::Tensor CheckpointWeights::get(const std::string& name, at::IntArrayRef shape,
                                  at::ScalarType dtype) {
  const auto where = checkpoint_tensor(component_, name, configs_, *file_);
  const auto it = where ? file_->tensors().find(where->name) : file_->tensors().end();
  if (it == file_->tensors().end()) {
    throw Error(ErrorCode::model_error, file_->path() + ": the checkpoint has no tensor for " +
                                            name +
                                            (where ? " (" + where->name + ")" : std::string()) +
                                            ": it is incomplete or of another architecture");
  }
  auto view = stored_view(file_, where->name, it->second);
  if (where->transposed && view.dim() == 2) view = view.t().contiguous();
  if (where->rows > 0 && where->first_row + where->rows <= view.size(0)) {
    view = view.narrow(0, where->first_row, where->rows);
  }
  // The original layout keeps some matrices as 1x1 convolution kernels, and the reverse.
  if (view.sizes() != shape && view.numel() == c10::multiply_integers(shape)) {
    const auto squeezed = [](at::IntArrayRef sizes) {
      std::vector<std::int64_t> out(sizes.begin(), sizes.end());
      while (out.size() > 2 && out.back() == 1) out.pop_back();
      return out;
    };
    if (squeezed(view.sizes()) == squeezed(shape)) view = view.view(shape);
  }
  if (view.sizes() != shape) {
    throw Error(ErrorCode::model_error, file_->path() + ": " + where->name + " has shape " +
                                            shape_text(view.sizes()) + ", the architecture " +
                                            "inferred from the checkpoint needs " +
                                            shape_text(shape));
  }
  return count(view.scalar_type() == dtype ? view : view.to(dtype));
}

RandomWeights::RandomWeights(std::uint64_t seed)
    : generator_(at::detail::createCPUGenerator(seed)) {}

at::Tensor RandomWeights::get(const std::string&, at::IntArrayRef shape, at::ScalarType dtype) {
  // Small values keep activations in range through dozens of layers.
  return count(
      (at::randn(shape, generator_, at::TensorOptions().dtype(at::kFloat)) * 0.02).to(dtype));
}

}  // namespace rendermart::diffusion
