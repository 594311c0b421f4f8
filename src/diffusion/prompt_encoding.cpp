#include "diffusion/prompt_encoding.hpp"

#include <algorithm>

namespace rendermart::diffusion {

at::Tensor emphasize(const at::Tensor& z, const std::vector<float>& weights) {
  if (std::all_of(weights.begin(), weights.end(), [](float w) { return w == 1; })) return z;
  const auto multipliers =
      at::tensor(weights, at::TensorOptions().dtype(z.scalar_type())).view({1, -1, 1});
  const auto original_mean = z.mean();
  const auto weighted = z * multipliers;
  // Restoring the mean is not what weighting means, but without it strong weights give
  // artifacts (AUTOMATIC1111's own comment); prompts are written for its behaviour.
  return weighted * (original_mean / weighted.mean());
}

PromptEmbedding encode_chunks(const std::vector<PromptChunk>& chunks, const ChunkEncoder& encode) {
  PromptEmbedding out;
  std::vector<at::Tensor> hidden;
  hidden.reserve(chunks.size());
  for (const auto& chunk : chunks) {
    const auto ids = at::tensor(chunk.ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
    auto encoded = encode(ids);
    hidden.push_back(emphasize(encoded.hidden, chunk.weights));
    if (&chunk == &chunks.front()) out.pooled = encoded.pooled;
  }
  out.hidden = hidden.size() == 1 ? hidden.front() : at::cat(hidden, 1);
  return out;
}

}  // namespace rendermart::diffusion
