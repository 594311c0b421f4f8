#include "diffusion/kernels/attention.hpp"

#include <algorithm>
#include <cmath>

namespace rendermart::diffusion {
namespace {

// The score matrix of one chunk stays under this many elements, so that a 1024x1024 image
// (16,384 tokens) does not need gigabytes for softmax(q kᵀ) at once.
constexpr std::int64_t kMaxScoreElements = std::int64_t{1} << 25;

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  const auto batch = q.size(0);
  const auto nq = q.size(1);
  const auto nk = k.size(1);
  const auto d = q.size(2) / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // [B, N, heads*d] -> [B*heads, N, d], in float32: libtorch 1.13's bfloat16 batched products run
  // at a tenth of its float32 ones on AVX-512 CPUs, and softmax wants float32 sums anyway.
  const auto split = [&](const at::Tensor& t, std::int64_t n) {
    return t.view({batch, n, heads, d}).permute({0, 2, 1, 3}).reshape({batch * heads, n, d}).to(at::kFloat);
  };
  const auto qh = split(q, nq) * scale;
  const auto kt = split(k, nk).transpose(1, 2);
  const auto vh = split(v, nk);
  auto out = at::empty({batch * heads, nq, d}, q.options().dtype(at::kFloat));
  const std::int64_t rows = std::max<std::int64_t>(1, kMaxScoreElements / (batch * heads * nk));
  for (std::int64_t start = 0; start < nq; start += rows) {
    const auto length = std::min(rows, nq - start);
    const auto scores = at::matmul(qh.narrow(1, start, length), kt);
    out.narrow(1, start, length).copy_(at::matmul(at::softmax(scores, -1), vh));
  }
  return out.view({batch, heads, nq, d}).permute({0, 2, 1, 3}).reshape({batch, nq, heads * d})
      .to(q.scalar_type());
}

}  // namespace rendermart::diffusion
