#include "diffusion/latent_preview.hpp"

namespace rendermart::diffusion {

RawImage latent_preview(const at::Tensor& latents) {
  // The least-squares fit of RGB in [-1, 1] to SD latents that the Stable Diffusion web UIs use
  // for their approximate previews (rows: latent channels; columns: R, G, B).
  static const float factors[4][3] = {{0.298f, 0.207f, 0.208f},
                                      {0.187f, 0.286f, 0.173f},
                                      {-0.158f, 0.189f, 0.264f},
                                      {-0.184f, -0.271f, -0.473f}};
  const auto l = latents.to(at::kFloat).contiguous();
  const auto height = static_cast<int>(l.size(2));
  const auto width = static_cast<int>(l.size(3));
  const auto channels = std::min<int64_t>(l.size(1), 4);
  const float* data = l.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  RawImage image{width, height, std::vector<std::uint8_t>(plane * 3)};
  for (std::size_t p = 0; p < plane; ++p) {
    for (int c = 0; c < 3; ++c) {
      float value = 0;
      for (int64_t k = 0; k < channels; ++k)
        value += data[static_cast<std::size_t>(k) * plane + p] * factors[k][c];
      const float unit = std::clamp((value + 1) * 0.5f, 0.0f, 1.0f);
      image.rgb[p * 3 + static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(unit * 255 + 0.5f);
    }
  }
  return image;
}

}  // namespace rendermart::diffusion
