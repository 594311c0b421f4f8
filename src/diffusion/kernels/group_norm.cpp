#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/group_norm.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/record_function.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"

namespace rendermart::diffusion {
namespace {

void check_arguments(const at::Tensor& x, int groups, const at::Tensor& weight,
                     const at::Tensor& bias, double eps) {
  TORCH_CHECK(x.defined() && weight.defined() && bias.defined(),
              "group_norm: x, weight and bias must be defined");
  TORCH_CHECK(x.device().is_cpu() && weight.device().is_cpu() && bias.device().is_cpu(),
              "group_norm: x, weight and bias must be CPU tensors");
  TORCH_CHECK(x.dim() == 4, "group_norm: x must be [N, C, H, W], got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16,
              "group_norm: x must be float32 or bfloat16, got ", x.scalar_type());
  const int64_t channels = x.size(1);
  TORCH_CHECK(groups > 0 && channels % groups == 0, "group_norm: ", channels,
              " channels do not split into ", groups, " groups");
  TORCH_CHECK(weight.scalar_type() == at::kFloat && bias.scalar_type() == at::kFloat,
              "group_norm: weight and bias must be float32, got ", weight.scalar_type(), " and ",
              bias.scalar_type());
  TORCH_CHECK(weight.dim() == 1 && weight.size(0) == channels && bias.dim() == 1 &&
                  bias.size(0) == channels,
              "group_norm: weight and bias must be [", channels, "], got ", weight.sizes(), " and ",
              bias.sizes());
  TORCH_CHECK(eps >= 0, "group_norm: eps must not be negative, got ", eps);
}

}  // namespace

at::Tensor group_norm(const at::Tensor& x, int groups, const at::Tensor& weight,
                      const at::Tensor& bias, double eps, bool silu) {
  RECORD_FUNCTION("rendermart::group_norm", std::vector<c10::IValue>{});
  check_arguments(x, groups, weight, bias, eps);
  const bool channels_last = !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor input = channels_last ? x : x.contiguous();
  // empty_like keeps the strides of a dense tensor, so y has x's memory format.
  at::Tensor y = at::empty_like(input);
  const at::Tensor w = weight.contiguous();
  const at::Tensor b = bias.contiguous();
  const GroupNormProblem problem{
      x.size(0),     x.size(1),           x.size(2) * x.size(3), groups, eps, silu,
      channels_last, w.data_ptr<float>(), b.data_ptr<float>()};
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (x.scalar_type() == at::kFloat) {
    kernels.f32.group_norm(input.data_ptr<float>(), y.data_ptr<float>(), problem);
  } else {
    kernels.bf16.group_norm(static_cast<const std::uint16_t*>(input.data_ptr()),
                            static_cast<std::uint16_t*>(y.data_ptr()), problem);
  }
  return y;
}

GroupNormAffine group_norm_affine(const at::Tensor& x, int groups, const at::Tensor& weight,
                                  const at::Tensor& bias, double eps) {
  RECORD_FUNCTION("rendermart::group_norm_affine", std::vector<c10::IValue>{});
  check_arguments(x, groups, weight, bias, eps);
  TORCH_CHECK(x.is_contiguous(at::MemoryFormat::ChannelsLast),
              "group_norm_affine: x must be dense and channels-last");
  const auto options = weight.options();
  GroupNormAffine affine{at::empty({x.size(0), x.size(1)}, options),
                         at::empty({x.size(0), x.size(1)}, options),
                         at::empty({x.size(0), x.size(1)}, options)};
  const at::Tensor w = weight.contiguous();
  const at::Tensor b = bias.contiguous();
  const GroupNormProblem problem{
      x.size(0), x.size(1),           x.size(2) * x.size(3), groups, eps, false,
      true,      w.data_ptr<float>(), b.data_ptr<float>()};
  const ChannelAffineMap out{affine.center.data_ptr<float>(), affine.scale.data_ptr<float>(),
                             affine.shift.data_ptr<float>()};
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (x.scalar_type() == at::kFloat) {
    kernels.f32.group_norm_affine(x.data_ptr<float>(), problem, out);
  } else {
    kernels.bf16.group_norm_affine(static_cast<const std::uint16_t*>(x.data_ptr()), problem, out);
  }
  return affine;
}

void normalize_rows(const at::Tensor& rows, const GroupNormAffine& affine, std::int64_t image,
                    bool silu, const at::Tensor& out) {
  RECORD_FUNCTION("rendermart::normalize_rows", std::vector<c10::IValue>{});
  TORCH_CHECK(rows.dim() == 4 && rows.size(0) == 1 && out.sizes() == rows.sizes(),
              "normalize_rows: rows and out must both be [1, C, h, W], got ", rows.sizes(), " and ",
              out.sizes());
  TORCH_CHECK(rows.is_contiguous(at::MemoryFormat::ChannelsLast) &&
                  out.is_contiguous(at::MemoryFormat::ChannelsLast),
              "normalize_rows: rows and out must be dense and channels-last");
  TORCH_CHECK(rows.scalar_type() == out.scalar_type() &&
                  (rows.scalar_type() == at::kFloat || rows.scalar_type() == at::kBFloat16),
              "normalize_rows: rows and out must both be float32 or both bfloat16");
  const std::int64_t channels = rows.size(1);
  TORCH_CHECK(image >= 0 && image < affine.center.size(0) && affine.center.size(1) == channels,
              "normalize_rows: no affine map for image ", image, " of ", channels, " channels");
  const std::int64_t offset = image * channels;
  const RowNormProblem problem{
      rows.size(2) * rows.size(3),
      channels,
      silu,
      {affine.center.data_ptr<float>() + offset, affine.scale.data_ptr<float>() + offset,
       affine.shift.data_ptr<float>() + offset}};
  const KernelTable& kernels = kernel_table(kernel_isa());
  if (rows.scalar_type() == at::kFloat) {
    kernels.f32.normalize_rows(rows.data_ptr<float>(), out.data_ptr<float>(), problem);
  } else {
    kernels.bf16.normalize_rows(static_cast<const std::uint16_t*>(rows.data_ptr()),
                                static_cast<std::uint16_t*>(out.data_ptr()), problem);
  }
}

}  // namespace rendermart::diffusion
