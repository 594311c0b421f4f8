#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/randn.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "diffusion/kernels/kernel_isa.hpp"

namespace rendermart::diffusion {

// Success when every |actual - expected| <= atol + rtol * |expected| (NaN fails); the message
// gives the worst error and the size of the expected values.
inline ::testing::AssertionResult all_close(const at::Tensor& actual, const at::Tensor& expected,
                                            double rtol, double atol) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "sizes differ: " << actual.sizes() << " against " << expected.sizes();
  }
  const at::Tensor a = actual.to(at::kDouble);
  const at::Tensor e = expected.to(at::kDouble);
  const at::Tensor error = (a - e).abs();
  const double excess = (error - (e.abs() * rtol + atol)).max().item<double>();
  if (excess <= 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "max |actual - expected| = " << error.max().item<double>() << " (allowed " << atol
         << " + " << rtol << " * |expected|), max |expected| = " << e.abs().max().item<double>();
}

// Normally distributed values from a seeded generator, then scaled and converted to dtype.
inline at::Tensor random_tensor(at::IntArrayRef sizes, at::ScalarType dtype, double scale,
                                uint64_t seed) {
  const at::Generator generator = at::detail::createCPUGenerator(seed);
  return (at::randn(sizes, generator, at::TensorOptions().dtype(at::kDouble)) * scale).to(dtype);
}

// Runs `call`, which must throw a c10::Error whose message contains `text`.
template <typename Call>
::testing::AssertionResult throws_with(const Call& call, const std::string& text) {
  try {
    call();
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (message.find(text) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionFailure() << "no c10::Error thrown";
}

// Caps the kernels' instruction set for the life of the object (below the process's own cap).
class IsaLimit {
 public:
  explicit IsaLimit(KernelIsa limit) : previous_(kernel_isa()) {
    limit_kernel_isa(std::min(limit, previous_));
  }
  ~IsaLimit() { limit_kernel_isa(previous_); }
  IsaLimit(const IsaLimit&) = delete;
  IsaLimit& operator=(const IsaLimit&) = delete;

 private:
  KernelIsa previous_;
};

// Runs `check` capped at each kernel level below the one this process runs (each level has code
// of its own), with the level in the failure messages.
template <typename Check>
void for_each_weaker_level(const Check& check) {
  for (int i = 0; i < static_cast<int>(kernel_isa()); ++i) {
    const auto level = static_cast<KernelIsa>(i);
    SCOPED_TRACE(::testing::Message() << kernel_isa_name(level));
    const IsaLimit limit(level);
    check();
  }
}

}  // namespace rendermart::diffusion
