#pragma once

// Where a component's weights come from: the safetensors files of its folder (memory-mapped; a
// tensor stored in the wanted dtype is used in place, without a copy), or seeded random values for
// benchmarks, where the time does not depend on the values.

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "diffusion/checkpoint_layout.hpp"
#include "diffusion/safetensors_file.hpp"

namespace rendermart::diffusion {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // The tensor `name` in `dtype`, checked against `shape`. Throws Error(model_error) when it is
  // missing or has another shape. Called while a model loads, from one thread.
  virtual at::Tensor get(const std::string& name, at::IntArrayRef shape, at::ScalarType dtype) = 0;
  // Whether the tensor exists (for the alternative names older checkpoints use).
  virtual bool has(const std::string& name) const = 0;

  // Bytes of the tensors handed out so far, in their requested dtypes.
  std::size_t loaded_bytes() const { return loaded_bytes_; }
  // The weights of the Linear layers loaded so far (Linear::load records them), by name, the
  // layers' own tensors: what a LoRA merges into (lora.hpp).
  std::map<std::string, at::Tensor>& linear_weights() { return linear_weights_; }

 protected:
  at::Tensor count(at::Tensor tensor) {
    loaded_bytes_ += tensor.nbytes();
    return tensor;
  }

 private:
  std::size_t loaded_bytes_ = 0;
  std::map<std::string, at::Tensor> linear_weights_;
};

class SafetensorsWeights : public WeightSource {
 public:
  // Opens every file (each validated); a name present in two files is an error.
  explicit SafetensorsWeights(const std::vector<std::string>& files);

  at::Tensor get(const std::string& name, at::IntArrayRef shape, at::ScalarType dtype) override;
  bool has(const std::string& name) const override;

 private:
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
};

// One component's weights in a single-file checkpoint (checkpoint_layout.hpp), asked for by their
// diffusers names: views of the mapped file, as SafetensorsWeights gives them (1x1 convolution
// kernels viewed as the matrices diffusers stores, fused projections sliced by rows).
class CheckpointWeights : public WeightSource {
 public:
  CheckpointWeights(std::shared_ptr<SafetensorsFile> file, CheckpointComponent component,
                    CheckpointConfigs configs);

  at::Tensor get(const std::string& name, at::IntArrayRef shape, at::ScalarType dtype) override;
  bool has(const std::string& name) const override;

 private:
  std::shared_ptr<SafetensorsFile> file_;
  CheckpointComponent component_;
  CheckpointConfigs configs_;
};

class RandomWeights : public WeightSource {
 public:
  explicit RandomWeights(std::uint64_t seed);

  at::Tensor get(const std::string& name, at::IntArrayRef shape, at::ScalarType dtype) override;
  bool has(const std::string&) const override { return false; }

 private:
  at::Generator generator_;
};

}  // namespace rendermart::diffusion
