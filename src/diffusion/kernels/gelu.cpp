#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/gelu.hpp"

#include <ATen/ops/empty.h>
#include <ATen/record_function.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"

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

}  // namespace

at::Tensor exact_gelu(const at::Tensor& x) {
  RECORD_FUNCTION("rendermart::exact_gelu", std::vector<c10::IValue>{});
  check_input(x, "exact_gelu");
  const at::Tensor input = x.contiguous();
  at::Tensor y = at::empty(x.sizes(), x.options());
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (x.scalar_type() == at::kFloat) {
    kernels.f32.gelu(input.data_ptr<float>(), y.data_ptr<float>(), input.numel());
  } else {
    kernels.bf16.gelu(static_cast<const std::uint16_t*>(input.data_ptr()),
                      static_cast<std::uint16_t*>(y.data_ptr()), input.numel());
  }
  return y;
}

at::Tensor geglu(const at::Tensor& projected, const at::Tensor& bias) {
  RECORD_FUNCTION("rendermart::geglu", std::vector<c10::IValue>{});
  check_geglu_arguments(projected, bias);
  const at::Tensor p = projected.contiguous();
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  const int64_t inner = p.size(-1) / 2;
  std::vector<int64_t> sizes(p.sizes().begin(), p.sizes().end());
  sizes.back() = inner;
  at::Tensor y = at::empty(sizes, p.options());
  const int64_t rows = inner == 0 ? 0 : p.numel() / (2 * inner);
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (p.scalar_type() == at::kFloat) {
    kernels.f32.geglu(
        p.data_ptr<float>(), y.data_ptr<float>(),
        GegluProblem<float>{rows, inner, b.defined() ? b.data_ptr<float>() : nullptr});
  } else {
    using Bits = std::uint16_t;
    kernels.bf16.geglu(
        static_cast<const Bits*>(p.data_ptr()), static_cast<Bits*>(y.data_ptr()),
        GegluProblem<Bits>{rows, inner,
                           b.defined() ? static_cast<const Bits*>(b.data_ptr()) : nullptr});
  }
  return y;
}

}  // namespace rendermart::diffusion
