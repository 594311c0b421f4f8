#pragma once

// Reading the reference outputs in tests/fixtures/diffusion (see its README) and comparing
// tensors with them.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "diffusion/kernels/kernel_isa.hpp"
#include "diffusion/model_folder.hpp"
#include "diffusion/runtime.hpp"
#include "diffusion/safetensors_file.hpp"

namespace rendermart::diffusion::testing {

inline std::string fixtures() {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/diffusion";
}
inline std::string model_dir(const std::string& model) { return fixtures() + "/" + model; }
// The same model as one checkpoint file in the original layout (tests/fixtures/single-file).
inline std::string checkpoint_path(const std::string& model) {
  return std::string(RENDERMART_SOURCE_DIR) + "/tests/fixtures/single-file/" + model +
         ".safetensors";
}

// Every tensor of a golden file, copied out of the mapping, in its stored dtype.
inline std::map<std::string, at::Tensor> load_golden(const std::string& path) {
  const SafetensorsFile file(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, tensor] : file.tensors()) {
    at::ScalarType type = at::kFloat;
    switch (tensor.type) {
      case StoredType::f64: type = at::kDouble; break;
      case StoredType::i64: type = at::kLong; break;
      case StoredType::u8: type = at::kByte; break;
      case StoredType::f32: type = at::kFloat; break;
      default: ADD_FAILURE() << "unexpected dtype in " << path;
    }
    out[name] = at::from_blob(const_cast<std::uint8_t*>(file.data(tensor)), tensor.shape,
                              at::TensorOptions().dtype(type))
                    .clone();
  }
  return out;
}

inline std::map<std::string, at::Tensor> golden(const std::string& model, const std::string& file) {
  return load_golden(model_dir(model) + "/golden/" + file);
}

// max |a - b| / max |b|: the pipelines' per-step check of the fixtures' README.
inline double relative_to_max(const at::Tensor& actual, const at::Tensor& expected) {
  const auto a = actual.to(at::kDouble);
  const auto b = expected.to(at::kDouble);
  const double scale = std::max(b.abs().max().item<double>(), 1e-12);
  return (a - b).abs().max().item<double>() / scale;
}

// |a - b| <= atol + rtol * |b| everywhere (the single-module check of the README).
inline ::testing::AssertionResult all_close(const at::Tensor& actual, const at::Tensor& expected,
                                            double atol = 1e-4, double rtol = 1e-4) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << actual.sizes() << " != " << expected.sizes();
  }
  const auto a = actual.to(at::kDouble);
  const auto b = expected.to(at::kDouble);
  const auto excess = ((a - b).abs() - (b.abs() * rtol + atol));
  const double worst = excess.max().item<double>();
  if (worst > 0 || std::isnan(worst)) {
    return ::testing::AssertionFailure() << "max |a-b| = " << (a - b).abs().max().item<double>()
                                         << " exceeds " << atol << " + " << rtol << "|b|";
  }
  return ::testing::AssertionSuccess();
}

// Whether torch's generator drew the reference's noise: bit for bit where ATen runs vectorized
// kernels, as the reference did; with ATen's scalar kernels (ATEN_CPU_CAPABILITY=default, the
// portable level) torch's Box-Muller rounds its logarithms and cosines differently (up to 2e-6
// apart here), as torch itself does on a CPU without AVX2.
inline bool same_noise(const at::Tensor& drawn, const at::Tensor& reference) {
  const char* capability = std::getenv("ATEN_CPU_CAPABILITY");
  if (capability == nullptr || std::string(capability) != "default")
    return at::equal(drawn, reference);
  return at::allclose(drawn, reference, 1e-6, 1e-5);
}

// The engine's runtime (threads, allocator) for every test of the binary, capped at the
// instruction set RENDERMART_CPU_ISA names (tests/CMakeLists.txt runs the binary once per level).
// On a CPU without that level every test is skipped.
class RuntimeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* setting = std::getenv("RENDERMART_CPU_ISA");
    const std::string isa = setting ? setting : "auto";
    const auto level = kernel_isa_from_name(isa);
    if (level && *level > detected_kernel_isa()) {
      GTEST_SKIP() << "this CPU lacks " << isa << " (it has "
                   << kernel_isa_name(detected_kernel_isa()) << ")";
    }
    configure_runtime(2, isa);
  }
};

}  // namespace rendermart::diffusion::testing
