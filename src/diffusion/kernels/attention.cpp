#include "diffusion/kernels/attention.hpp"

#include <algorithm>
#include <cmath>

namespace rendermart::diffusion {
namespace {

// The score matrix of one chunk stays under this many elements, so that a 1024x1024 image
// (16,384 tokens) does not need gigabytes for softmax(q kᵀ) at once.
constexpr std::int64_t kMaxScoreElements = std::int64_t{1} << 24;

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int heads) {
  const auto batch = q.size(0);
  const auto nq = q.size(1);
  const auto nk = k.size(1);
  const auto d = q.size(2) / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // [B, N, heads*d] -> [B*heads, N, d]
  const auto split = [&](const at::Tensor& t, std::int64_t n) {
    return t.view({batch, n, heads, d}).permute({0, 2, 1, 3}).reshape({batch * heads, n, d});
  };
  const auto qh = split(q, nq) * scale;
  const auto kh = split(k, nk);
  const auto vh = split(v, nk);
  auto out = at::empty({batch * heads, nq, d}, q.options());
  // One matrix product per head: libtorch 1.13's batched products (bmm) do not reach BLAS or
  // oneDNN's fast paths on this build (a few GFLOP/s), its 2-D products do.
  const std::int64_t rows = std::max<std::int64_t>(1, kMaxScoreElements / nk);
  for (std::int64_t h = 0; h < batch * heads; ++h) {
    const auto key_t = kh[h].t();
    for (std::int64_t start = 0; start < nq; start += rows) {
      const auto length = std::min(rows, nq - start);
      const auto probs = at::softmax(at::mm(qh[h].narrow(0, start, length), key_t), -1);
      auto target = out[h].narrow(0, start, length);
      at::mm_out(target, probs, vh[h]);
    }
  }
  return out.view({batch, heads, nq, d}).permute({0, 2, 1, 3}).reshape({batch, nq, heads * d});
}

}  // namespace rendermart::diffusion
