#include "diffusion/banded_convolution.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "diffusion/kernels/group_norm.hpp"

namespace rendermart::diffusion {
namespace {

// What one band's input may take: small enough to stay near the caches, large enough that a
// convolution call's set-up is nothing beside its work.
constexpr std::int64_t kBandBytes = std::int64_t{16} << 20;

// Output rows per band, for input rows of `width` pixels of x's channels and dtype.
std::int64_t band_rows(const at::Tensor& x, std::int64_t width, std::int64_t height) {
  const std::int64_t row_bytes = x.size(1) * width * static_cast<std::int64_t>(x.element_size());
  return std::clamp<std::int64_t>(kBandBytes / std::max<std::int64_t>(row_bytes, 1), 1, height);
}

void check_convolution(const Conv2d& conv) {
  TORCH_CHECK(
      !conv.packed.defined() && conv.stride == 1 && conv.weight.size(2) == 2 * conv.padding + 1,
      "banded convolution: the convolution must be unpacked, with stride 1 and the "
      "padding of its kernel");
}

// An empty band of `rows` output rows and their halo, channels-last, with the halo rows that
// fall outside the image (above row 0 or below the last) zeroed, as the convolution's padding
// would be. Returns it and the rows of it that the image fills.
struct BandInput {
  at::Tensor whole;
  at::Tensor inside;
  std::int64_t top;  // the first image row of `inside`
};

BandInput band_input(const at::Tensor& like, std::int64_t channels, std::int64_t width,
                     std::int64_t height, std::int64_t first, std::int64_t rows,
                     std::int64_t halo) {
  const std::int64_t top = std::max<std::int64_t>(0, first - halo);
  const std::int64_t bottom = std::min(height, first + rows + halo);
  const std::int64_t above = halo - (first - top);
  const std::int64_t below = halo - (bottom - first - rows);
  auto whole = at::empty({1, channels, rows + 2 * halo, width},
                         like.options().memory_format(at::MemoryFormat::ChannelsLast));
  if (above > 0) whole.narrow(2, 0, above).zero_();
  if (below > 0) whole.narrow(2, rows + 2 * halo - below, below).zero_();
  return {whole, whole.narrow(2, above, bottom - top), top};
}

at::Tensor convolve_band(const Conv2d& conv, const at::Tensor& input) {
  const std::array<std::int64_t, 2> padding{0, conv.padding};
  return at::conv2d(input, conv.weight, conv.bias, {1, 1}, padding);
}

at::Tensor channels_last_like(const at::Tensor& x, std::int64_t channels, std::int64_t height,
                              std::int64_t width) {
  return at::empty({x.size(0), channels, height, width},
                   x.options().memory_format(at::MemoryFormat::ChannelsLast));
}

// Fills `out` ([N, C', height, width]) band by band: compute(image, n, first, rows, input) fills
// the band's input from image n of x and returns its `rows` output rows from `first` on.
template <typename Compute>
void fill_in_bands(const at::Tensor& x, const Conv2d& conv, const at::Tensor& out,
                   const Compute& compute) {
  check_convolution(conv);
  const std::int64_t height = out.size(2);
  const std::int64_t width = out.size(3);
  const std::int64_t band = band_rows(x, width, height);
  for (std::int64_t n = 0; n < x.size(0); ++n) {
    const auto image = x.narrow(0, n, 1);
    for (std::int64_t first = 0; first < height; first += band) {
      const std::int64_t rows = std::min(band, height - first);
      const auto input = band_input(x, x.size(1), width, height, first, rows, conv.padding);
      out.narrow(0, n, 1).narrow(2, first, rows).copy_(compute(image, n, first, rows, input));
    }
  }
}

}  // namespace

at::Tensor norm_silu_conv_in_bands(const GroupNorm& norm, const Conv2d& conv, const at::Tensor& x,
                                   const at::Tensor& residual, const Conv2d* shortcut,
                                   at::Tensor out) {
  const auto affine = group_norm_affine(x, norm.groups, norm.weight, norm.bias, norm.eps);
  if (!out.defined()) out = channels_last_like(x, conv.weight.size(0), x.size(2), x.size(3));
  fill_in_bands(x, conv, out,
                [&](const at::Tensor& image, std::int64_t n, std::int64_t first, std::int64_t rows,
                    const BandInput& input) {
                  normalize_rows(image.narrow(2, input.top, input.inside.size(2)), affine, n, true,
                                 input.inside);
                  auto result = convolve_band(conv, input.whole);
                  if (residual.defined()) {
                    const auto source = residual.narrow(0, n, 1).narrow(2, first, rows);
                    result.add_(shortcut ? (*shortcut)(source) : source);
                  }
                  return result;
                });
  return out;
}

at::Tensor upsample_conv_in_bands(const Conv2d& conv, const at::Tensor& x) {
  const std::int64_t width = 2 * x.size(3);
  auto out = channels_last_like(x, conv.weight.size(0), 2 * x.size(2), width);
  fill_in_bands(x, conv, out,
                [&](const at::Tensor& image, std::int64_t, std::int64_t, std::int64_t,
                    const BandInput& input) {
                  // Upsampled row r is source row r / 2.
                  const std::int64_t rows = input.inside.size(2);
                  const std::int64_t source_first = input.top / 2;
                  const std::int64_t source_rows = (input.top + rows - 1) / 2 + 1 - source_first;
                  const auto upsampled = upsample_nearest(
                      image.narrow(2, source_first, source_rows), 2 * source_rows, width);
                  input.inside.copy_(upsampled.narrow(2, input.top - 2 * source_first, rows));
                  return convolve_band(conv, input.whole);
                });
  return out;
}

at::Tensor resnet_in_bands(const ResnetBlock& block, at::Tensor x) {
  TORCH_CHECK(!block.time_emb_proj && block.output_scale_factor == 1,
              "resnet_in_bands: a block without time embedding or output scale");
  const auto h = norm_silu_conv_in_bands(block.norm1, block.conv1, x);
  const std::int64_t channels = block.conv2.weight.size(0);
  const Conv2d* shortcut = block.conv_shortcut ? &*block.conv_shortcut : nullptr;
  // A band's result rows end in x's memory before the rows of x that this band and the later
  // ones read (as long as the result has no more channels than x), so the result can be written
  // over x when nothing else holds it: at 1024x1024 that is a 0.5 GiB tensor fewer.
  const bool x_is_free_to_take = x.use_count() == 1 && x.storage().use_count() == 1 &&
                                 x.storage_offset() == 0 && channels <= x.size(1) &&
                                 x.is_contiguous(at::MemoryFormat::ChannelsLast);
  at::Tensor out;
  if (x_is_free_to_take) {
    const std::int64_t height = x.size(2);
    const std::int64_t width = x.size(3);
    out = at::empty({0}, x.options())
              .set_(x.storage(), 0, {x.size(0), channels, height, width},
                    {height * width * channels, 1, width * channels, channels});
  }
  return norm_silu_conv_in_bands(block.norm2, block.conv2, h, x, shortcut, out);
}

}  // namespace rendermart::diffusion
