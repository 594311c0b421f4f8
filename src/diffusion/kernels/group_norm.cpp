#include "diffusion/kernels/group_norm.hpp"

namespace rendermart::diffusion {

at::Tensor group_norm(const at::Tensor& x, int groups, const at::Tensor& weight,
                      const at::Tensor& bias, double eps, bool silu) {
  const auto format = x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous()
                          ? at::MemoryFormat::ChannelsLast
                          : at::MemoryFormat::Contiguous;
  // The statistics in float32 whatever x's dtype (the affine parameters are float32 too).
  auto y = at::group_norm(x.to(at::kFloat), groups, weight, bias, eps);
  if (silu) at::silu_(y);
  return y.to(x.scalar_type()).contiguous(format);
}

}  // namespace rendermart::diffusion
