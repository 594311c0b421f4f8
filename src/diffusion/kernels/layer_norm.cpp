#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/layer_norm.hpp"

#include <ATen/ops/empty.h>
#include <ATen/record_function.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"

namespace rendermart::diffusion {
namespace {

void check_arguments(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                     double eps) {
  TORCH_CHECK(x.defined() && weight.defined() && bias.defined(),
              "layer_norm: x, weight and bias must be defined");
  TORCH_CHECK(x.device().is_cpu() && weight.device().is_cpu() && bias.device().is_cpu(),
              "layer_norm: x, weight and bias must be CPU tensors");
  TORCH_CHECK(x.dim() >= 1, "layer_norm: x must have a channel dimension");
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16,
              "layer_norm: x must be float32 or bfloat16, got ", x.scalar_type());
  const int64_t channels = x.size(-1);
  TORCH_CHECK(weight.scalar_type() == at::kFloat && bias.scalar_type() == at::kFloat,
              "layer_norm: weight and bias must be float32, got ", weight.scalar_type(), " and ",
              bias.scalar_type());
  TORCH_CHECK(weight.dim() == 1 && weight.size(0) == channels && bias.dim() == 1 &&
                  bias.size(0) == channels,
              "layer_norm: weight and bias must be [", channels, "], got ", weight.sizes(), " and ",
              bias.sizes());
  TORCH_CHECK(eps >= 0, "layer_norm: eps must not be negative, got ", eps);
}

}  // namespace

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      double eps) {
  RECORD_FUNCTION("rendermart::layer_norm", std::vector<c10::IValue>{});
  check_arguments(x, weight, bias, eps);
  // Rows a fixed stride apart with a dense last dimension are read in place (reshape makes a
  // view of them), others are copied.
  at::Tensor rows = x.reshape({-1, x.size(-1)});
  if (rows.stride(1) != 1) rows = rows.contiguous();
  at::Tensor y = at::empty(x.sizes(), x.options());
  const at::Tensor w = weight.contiguous();
  const at::Tensor b = bias.contiguous();
  const LayerNormProblem problem{rows.size(0), rows.size(1),        rows.stride(0),
                                 eps,          w.data_ptr<float>(), b.data_ptr<float>()};
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (x.scalar_type() == at::kFloat) {
    kernels.f32.layer_norm(rows.data_ptr<float>(), y.data_ptr<float>(), problem);
  } else {
    kernels.bf16.layer_norm(static_cast<const std::uint16_t*>(rows.data_ptr()),
                            static_cast<std::uint16_t*>(y.data_ptr()), problem);
  }
  return y;
}

}  // namespace rendermart::diffusion
