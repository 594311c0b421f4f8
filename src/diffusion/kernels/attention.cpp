#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include "diffusion/kernels/attention.hpp"

#include <ATen/record_function.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/softmax.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "diffusion/kernels/attention_avx512.hpp"
#include "diffusion/kernels/kernel_isa.hpp"

namespace rendermart::diffusion {
namespace {

void check_arguments(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  TORCH_CHECK(q.defined() && k.defined() && v.defined(), "attention: q, k and v must be defined");
  TORCH_CHECK(q.device().is_cpu() && k.device().is_cpu() && v.device().is_cpu(),
              "attention: q, k and v must be CPU tensors");
  TORCH_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3,
              "attention: q, k and v must be [batch, tokens, heads*head_dim], got ", q.sizes(), ", ",
              k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(),
              "attention: q, k and v must have one dtype, got ", q.scalar_type(), ", ",
              k.scalar_type(), ", ", v.scalar_type());
  TORCH_CHECK(q.scalar_type() == at::kFloat || q.scalar_type() == at::kBFloat16,
              "attention: dtype must be float32 or bfloat16, got ", q.scalar_type());
  TORCH_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0),
              "attention: q, k and v must have the same batch size, got ", q.sizes(), ", ",
              k.sizes(), ", ", v.sizes());
  TORCH_CHECK(k.size(1) == v.size(1), "attention: k and v must have the same number of tokens, got ",
              k.sizes(), " and ", v.sizes());
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
  return {operand<T>(q), operand<T>(k), operand<T>(v), static_cast<T*>(out.data_ptr()),
          q.size(0), q.size(1), k.size(1), heads, q.size(2) / heads};
}

// The score matrix of one chunk of the plain computation stays under this many elements, so that
// a 1024x1024 image (16,384 tokens) does not need gigabytes for softmax(q kᵀ) at once.
constexpr std::int64_t kMaxScoreElements = std::int64_t{1} << 24;

// The same computation in plain torch ops, in the input dtype, for CPUs without AVX-512.
at::Tensor attention_portable(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              int heads) {
  const std::int64_t batch = q.size(0), queries = q.size(1), keys = k.size(1);
  const std::int64_t head_dim = q.size(2) / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  // [B, N, heads*d] -> [B*heads, N, d]
  const auto split_heads = [&](const at::Tensor& t, std::int64_t tokens) {
    return t.reshape({batch, tokens, heads, head_dim}).permute({0, 2, 1, 3}).reshape(
        {batch * heads, tokens, head_dim});
  };
  const at::Tensor qh = split_heads(q, queries).mul(scale);
  const at::Tensor kh = split_heads(k, keys);
  const at::Tensor vh = split_heads(v, keys);
  at::Tensor out = at::empty({batch * heads, queries, head_dim}, q.options());
  // One matrix product per head: libtorch 1.13's batched products (bmm) do not reach BLAS or
  // oneDNN's fast paths on this build (a few GFLOP/s), its 2-D products do.
  const std::int64_t rows = std::max<std::int64_t>(1, kMaxScoreElements / keys);
  for (std::int64_t h = 0; h < batch * heads; ++h) {
    const at::Tensor key_t = kh[h].t();
    for (std::int64_t start = 0; start < queries; start += rows) {
      const std::int64_t length = std::min(rows, queries - start);
      const at::Tensor probs = at::softmax(at::mm(qh[h].narrow(0, start, length), key_t), -1);
      at::Tensor target = out[h].narrow(0, start, length);
      at::mm_out(target, probs, vh[h]);
    }
  }
  return out.view({batch, heads, queries, head_dim})
      .permute({0, 2, 1, 3})
      .reshape({batch, queries, heads * head_dim});
}

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  RECORD_FUNCTION("rendermart::attention", std::vector<c10::IValue>{});
  check_arguments(q, k, v, heads);
#if defined(__x86_64__)
  const KernelIsa isa = kernel_isa();
  const bool fits = q.size(2) <= kMaxAttentionQueryStride;
  const bool f32 = q.scalar_type() == at::kFloat && isa >= KernelIsa::avx512 && fits;
  const bool bf16 = q.scalar_type() == at::kBFloat16 && isa >= KernelIsa::avx512_bf16 && fits &&
                    (q.size(2) / heads) % 2 == 0;
  if (f32 || bf16) {
    at::Tensor qd = with_dense_rows(q);
    if (qd.stride(1) > kMaxAttentionQueryStride) qd = qd.contiguous();
    const at::Tensor kd = with_dense_rows(k);
    const at::Tensor vd = with_dense_rows(v);
    at::Tensor out = at::empty({q.size(0), q.size(1), q.size(2)}, q.options());
    if (f32) {
      attention_f32_avx512(problem<float>(qd, kd, vd, out, heads));
    } else {
      attention_bf16_avx512(problem<std::uint16_t>(qd, kd, vd, out, heads));
    }
    return out;
  }
#endif
  return attention_portable(q, k, v, heads);
}

}  // namespace rendermart::diffusion
