#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/attention.hpp"

#include <ATen/ops/empty.h>
#include <ATen/record_function.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <vector>

#include "diffusion/kernels/kernel_table.hpp"

namespace rendermart::diffusion {
namespace {

void check_arguments(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  TORCH_CHECK(q.defined() && k.defined() && v.defined(), "attention: q, k and v must be defined");
  TORCH_CHECK(q.device().is_cpu() && k.device().is_cpu() && v.device().is_cpu(),
              "attention: q, k and v must be CPU tensors");
  TORCH_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3,
              "attention: q, k and v must be [batch, tokens, heads*head_dim], got ", q.sizes(),
              ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(),
              "attention: q, k and v must have one dtype, got ", q.scalar_type(), ", ",
              k.scalar_type(), ", ", v.scalar_type());
  TORCH_CHECK(q.scalar_type() == at::kFloat || q.scalar_type() == at::kBFloat16,
              "attention: dtype must be float32 or bfloat16, got ", q.scalar_type());
  TORCH_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0),
              "attention: q, k and v must have the same batch size, got ", q.sizes(), ", ",
              k.sizes(), ", ", v.sizes());
  TORCH_CHECK(k.size(1) == v.size(1),
              "attention: k and v must have the same number of tokens, got ", k.sizes(), " and ",
              v.sizes());
  TORCH_CHECK(k.size(2) == q.size(2) && v.size(2) == q.size(2),
              "attention: q, k and v must have the same width, got ", q.sizes(), ", ", k.sizes(),
              ", ", v.sizes());
  TORCH_CHECK(heads > 0 && q.size(2) % heads == 0, "attention: width ", q.size(2),
              " is not a whole number of heads (", heads, ")");
  TORCH_CHECK(k.size(1) > 0, "attention: needs at least one key token");
}

// The layout the kernels read: a dense last dimension, any batch and token strides.
at::Tensor with_dense_rows(const at::Tensor& t) { return t.stride(2) == 1 ? t : t.contiguous(); }

template <typename T>
AttentionOperand<T> operand(const at::Tensor& t) {
  return {static_cast<const T*>(t.data_ptr()), t.stride(0), t.stride(1)};
}

template <typename T>
AttentionProblem<T> problem(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            at::Tensor& out, int heads) {
  return {operand<T>(q),    operand<T>(k), operand<T>(v), static_cast<T*>(out.data_ptr()),
          q.size(0),        q.size(1),     k.size(1),     heads,
          q.size(2) / heads};
}

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  RECORD_FUNCTION("rendermart::attention", std::vector<c10::IValue>{});
  check_arguments(q, k, v, heads);
  const KernelTable& kernels = kernel_table(kernel_isa());
  const bool bf16 = q.scalar_type() == at::kBFloat16;
  if (bf16 && (kernels.bf16.attention == nullptr || (q.size(2) / heads) % 2 != 0)) {
    // Without vdpbf16ps: in float32, rounded once at the end.
    return attention(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat), heads).to(at::kBFloat16);
  }
  at::Tensor qd = with_dense_rows(q);
  if (qd.stride(1) > kMaxAttentionQueryStride) qd = qd.contiguous();
  const at::Tensor kd = with_dense_rows(k);
  const at::Tensor vd = with_dense_rows(v);
  at::Tensor out = at::empty({q.size(0), q.size(1), q.size(2)}, q.options());
  if (bf16) {
    kernels.bf16.attention(problem<std::uint16_t>(qd, kd, vd, out, heads));
  } else {
    kernels.f32.attention(problem<float>(qd, kd, vd, out, heads));
  }
  return out;
}

}  // namespace rendermart::diffusion
