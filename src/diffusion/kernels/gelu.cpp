#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/gelu.hpp"

#include <ATen/record_function.h>
#include <ATen/ops/add.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/mul.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <vector>

#include "diffusion/kernels/gelu_avx512.hpp"
#include "diffusion/kernels/kernel_isa.hpp"

namespace rendermart::diffusion {
namespace {

void check_input(const at::Tensor& x, const char* name) {
  TORCH_CHECK(x.defined(), name, ": the input must be defined");
  TORCH_CHECK(x.device().is_cpu(), name, ": the input must be a CPU tensor");
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16, name,
              ": dtype must be float32 or bfloat16, got ", x.scalar_type());
}

void check_geglu_arguments(const at::Tensor& projected, const at::Tensor& bias) {
  check_input(projected, "geglu");
  TORCH_CHECK(projected.dim() >= 1 && projected.size(-1) % 2 == 0,
              "geglu: the last dimension must hold two halves, got ", projected.sizes());
  if (bias.defined()) {
    TORCH_CHECK(bias.device().is_cpu() && bias.scalar_type() == projected.scalar_type() &&
                    bias.dim() == 1 && bias.size(0) == projected.size(-1),
                "geglu: bias must be [", projected.size(-1), "] of ", projected.scalar_type(),
                ", got ", bias.sizes(), " of ", bias.scalar_type());
  }
}

// The same computations in plain torch ops, in float32.
at::Tensor gelu_portable(const at::Tensor& x) {
  return at::gelu(x.to(at::kFloat)).to(x.scalar_type()).contiguous();
}

at::Tensor geglu_portable(const at::Tensor& projected, const at::Tensor& bias) {
  at::Tensor p = projected.to(at::kFloat);
  if (bias.defined()) p = at::add(p, bias.to(at::kFloat));
  const int64_t inner = p.size(-1) / 2;
  return at::mul(p.narrow(-1, 0, inner), at::gelu(p.narrow(-1, inner, inner)))
      .to(projected.scalar_type())
      .contiguous();
}

}  // namespace

at::Tensor exact_gelu(const at::Tensor& x) {
  RECORD_FUNCTION("rendermart::exact_gelu", std::vector<c10::IValue>{});
  check_input(x, "exact_gelu");
#if defined(__x86_64__)
  if (kernel_isa() >= KernelIsa::avx512) {
    const at::Tensor input = x.contiguous();
    at::Tensor y = at::empty(x.sizes(), x.options());
    if (x.scalar_type() == at::kFloat) {
      gelu_avx512(input.data_ptr<float>(), y.data_ptr<float>(), input.numel());
    } else {
      gelu_avx512(static_cast<const std::uint16_t*>(input.data_ptr()),
                  static_cast<std::uint16_t*>(y.data_ptr()), input.numel());
    }
    return y;
  }
#endif
  return gelu_portable(x);
}

at::Tensor geglu(const at::Tensor& projected, const at::Tensor& bias) {
  RECORD_FUNCTION("rendermart::geglu", std::vector<c10::IValue>{});
  check_geglu_arguments(projected, bias);
#if defined(__x86_64__)
  if (kernel_isa() >= KernelIsa::avx512) {
    const at::Tensor p = projected.contiguous();
    const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
    const int64_t inner = p.size(-1) / 2;
    std::vector<int64_t> sizes(p.sizes().begin(), p.sizes().end());
    sizes.back() = inner;
    at::Tensor y = at::empty(sizes, p.options());
    const int64_t rows = inner == 0 ? 0 : p.numel() / (2 * inner);
    if (p.scalar_type() == at::kFloat) {
      geglu_avx512(p.data_ptr<float>(), y.data_ptr<float>(),
                   GegluProblem<float>{rows, inner, b.defined() ? b.data_ptr<float>() : nullptr});
    } else {
      using Bits = std::uint16_t;
      geglu_avx512(static_cast<const Bits*>(p.data_ptr()), static_cast<Bits*>(y.data_ptr()),
                   GegluProblem<Bits>{rows, inner,
                                      b.defined() ? static_cast<const Bits*>(b.data_ptr()) : nullptr});
    }
    return y;
  }
#endif
  return geglu_portable(projected, bias);
}

}  // namespace rendermart::diffusion
