#include "providers/procedural/styles.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace rendermart::procedural {

namespace {

// Gaussian-like blur: three box blurs (running sums, edges clamped) along each axis, at a cost
// independent of the radius. `channels` interleaved floats per pixel.
void gaussian(std::vector<float>& data, int width, int height, int channels, int radius) {
  if (radius <= 0) return;
  const auto w = static_cast<std::size_t>(width);
  const auto h = static_cast<std::size_t>(height);
  const auto ch = static_cast<std::size_t>(channels);
  const auto r = static_cast<std::size_t>(radius);
  const std::size_t stride = w * ch;
  const float scale = 1.0f / static_cast<float>(2 * radius + 1);
  std::vector<float> padded((w + 2 * r + 1) * ch);
  std::vector<float> other(data.size());
  std::vector<float> sum(stride);
  for (int pass = 0; pass < 3; ++pass) {
    // Horizontal, in place: each row copied into a buffer padded with its edge pixels.
    for (std::size_t y = 0; y < h; ++y) {
      float* row = data.data() + y * stride;
      for (std::size_t i = 0; i < w + 2 * r + 1; ++i) {
        const std::size_t src = std::min(i > r ? i - r : 0, w - 1);
        for (std::size_t c = 0; c < ch; ++c) padded[i * ch + c] = row[src * ch + c];
      }
      for (std::size_t c = 0; c < ch; ++c) {
        float total = 0;
        for (std::size_t i = 0; i <= 2 * r; ++i) total += padded[i * ch + c];
        for (std::size_t x = 0; x < w; ++x) {
          row[x * ch + c] = total * scale;
          total += padded[(x + 2 * r + 1) * ch + c] - padded[x * ch + c];
        }
      }
    }
    // Vertical, into the other buffer: running sums for a whole row at a time keep memory
    // access sequential.
    const auto src_row = [&](long y) {
      return data.data() +
             static_cast<std::size_t>(std::clamp(y, 0L, static_cast<long>(h) - 1)) * stride;
    };
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (long y = -radius; y <= radius; ++y) {
      const float* p = src_row(y);
      for (std::size_t i = 0; i < stride; ++i) sum[i] += p[i];
    }
    for (std::size_t y = 0; y < h; ++y) {
      float* out = other.data() + y * stride;
      const float* add = src_row(static_cast<long>(y) + radius + 1);
      const float* drop = src_row(static_cast<long>(y) - radius);
      for (std::size_t i = 0; i < stride; ++i) {
        out[i] = sum[i] * scale;
        sum[i] += add[i] - drop[i];
      }
    }
    data.swap(other);
  }
}

std::vector<float> luminance(const Canvas& canvas) {
  const auto& d = canvas.data();
  std::vector<float> out(d.size() / 3);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = 0.299f * d[i * 3] + 0.587f * d[i * 3 + 1] + 0.114f * d[i * 3 + 2];
  }
  return out;
}

// Sobel gradient magnitude of a single-channel image (edge pixels repeat), per 1/512 of the image
// height rather than per pixel, so that edge thresholds mean the same at every size.
std::vector<float> edges(const std::vector<float>& lum, int width, int height) {
  std::vector<float> out(lum.size());
  const auto w = static_cast<std::size_t>(width);
  const float scale = 0.25f * static_cast<float>(height) / 512;
  for (int y = 0; y < height; ++y) {
    const float* up = lum.data() + static_cast<std::size_t>(std::max(0, y - 1)) * w;
    const float* mid = lum.data() + static_cast<std::size_t>(y) * w;
    const float* down = lum.data() + static_cast<std::size_t>(std::min(height - 1, y + 1)) * w;
    float* dst = out.data() + static_cast<std::size_t>(y) * w;
    for (std::size_t x = 0; x < w; ++x) {
      const std::size_t l = x > 0 ? x - 1 : 0;
      const std::size_t r = std::min(x + 1, w - 1);
      const float gx = up[r] + 2 * mid[r] + down[r] - up[l] - 2 * mid[l] - down[l];
      const float gy = down[l] + 2 * down[x] + down[r] - up[l] - 2 * up[x] - up[r];
      dst[x] = std::sqrt(gx * gx + gy * gy) * scale;
    }
  }
  return out;
}

int scaled(const Canvas& canvas, float fraction) {
  return std::max(1, static_cast<int>(static_cast<float>(canvas.height()) * fraction + 0.5f));
}

void vignette(Canvas& canvas, float strength) {
  const float cx = static_cast<float>(canvas.width()) * 0.5f;
  const float cy = static_cast<float>(canvas.height()) * 0.5f;
  const float norm = 1 / (cx * cx + cy * cy);
  for (int y = 0; y < canvas.height(); ++y) {
    float* row = canvas.row(y);
    const float dy = static_cast<float>(y) + 0.5f - cy;
    for (int x = 0; x < canvas.width(); ++x) {
      const float dx = static_cast<float>(x) + 0.5f - cx;
      const float k = 1 - strength * (dx * dx + dy * dy) * norm;
      row[x * 3] *= k;
      row[x * 3 + 1] *= k;
      row[x * 3 + 2] *= k;
    }
  }
}

void photographic(Canvas& canvas, std::uint32_t seed) {
  // Bloom: the bright parts, blurred at a quarter of the size, added back.
  const int w = canvas.width();
  const int h = canvas.height();
  const int qw = std::max(1, w / 4);
  const int qh = std::max(1, h / 4);
  std::vector<float> bright(static_cast<std::size_t>(qw * qh * 3));
  for (int y = 0; y < qh; ++y) {
    for (int x = 0; x < qw; ++x) {
      const Color c = canvas.get(std::min(w - 1, x * 4 + 2), std::min(h - 1, y * 4 + 2));
      const float k = smoothstep(0.7f, 1.0f, luma(c));
      float* p = &bright[static_cast<std::size_t>((y * qw + x) * 3)];
      p[0] = c.r * k;
      p[1] = c.g * k;
      p[2] = c.b * k;
    }
  }
  gaussian(bright, qw, qh, 3, std::max(1, qh / 60));
  for (int y = 0; y < h; ++y) {
    float* row = canvas.row(y);
    const float qy = std::min(static_cast<float>(qh - 1), (static_cast<float>(y) + 0.5f) / 4);
    for (int x = 0; x < w; ++x) {
      const float qx = std::min(static_cast<float>(qw - 1), (static_cast<float>(x) + 0.5f) / 4);
      const auto i =
          static_cast<std::size_t>((static_cast<int>(qy) * qw + static_cast<int>(qx)) * 3);
      Color c{row[x * 3], row[x * 3 + 1], row[x * 3 + 2]};
      c = c + Color{bright[i], bright[i + 1], bright[i + 2]} * 0.35f;
      // A gentle S-curve, as film's characteristic curve gives.
      c = mix(c, Color{smoothstep(0, 1, c.r), smoothstep(0, 1, c.g), smoothstep(0, 1, c.b)}, 0.3f);
      const float grain = (unit(hash2(x, y, seed ^ 0x51u)) - 0.5f) * 0.035f;
      row[x * 3] = c.r + grain;
      row[x * 3 + 1] = c.g + grain;
      row[x * 3 + 2] = c.b + grain;
    }
  }
  vignette(canvas, 0.4f);
}

void watercolor(Canvas& canvas, std::uint32_t seed) {
  const int w = canvas.width();
  const int h = canvas.height();
  const float unit_len = static_cast<float>(h);
  const float aspect = static_cast<float>(w) / unit_len;
  const int cell = std::max(2, h / 128);
  // Pigment bleeds: sample the picture through a wobbly displacement.
  const Field wobble_x(w, h, cell,
                       [&](float u, float v) { return fbm(u * aspect * 7, v * 7, seed + 1, 3); });
  const Field wobble_y(w, h, cell, [&](float u, float v) {
    return fbm(u * aspect * 7 + 31, v * 7 + 17, seed + 2, 3);
  });
  const Field blotch(w, h, cell,
                     [&](float u, float v) { return fbm(u * aspect * 6, v * 6, seed + 3, 4); });
  const Field ragged(w, h, cell,
                     [&](float u, float v) { return fbm(u * aspect * 14, v * 14, seed + 6, 3); });
  const float amp = unit_len * 0.015f;
  Canvas bled(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float fy = static_cast<float>(y) + 0.5f;
      // Nearest pixel: the washes below blur away its steps.
      bled.set(x, y,
               canvas.nearest(fx + (wobble_x.at(fx, fy) - 0.5f) * amp,
                              fy + (wobble_y.at(fx, fy) - 0.5f) * amp));
    }
  }
  // Washes: the colours settle into a few flat layers of pigment (steps in brightness only, so
  // hues do not shift), and where one wash meets the next, pigment pools and dries darker.
  std::vector<float> washes = bled.data();
  gaussian(washes, w, h, 3, scaled(canvas, 0.003f));
  constexpr float levels = 5;
  for (std::size_t i = 0; i < washes.size(); i += 3) {
    const Color c{washes[i], washes[i + 1], washes[i + 2]};
    const float l = luma(c);
    const float scaled_l = clamp01(l) * levels;
    const float base = std::floor(scaled_l);
    const float stepped = (base + smoothstep(0.4f, 0.6f, scaled_l - base)) / levels;
    const float k = l > 0.001f ? lerp(1.0f, stepped / l, 0.7f) : 1.0f;
    washes[i] = c.r * k;
    washes[i + 1] = c.g * k;
    washes[i + 2] = c.b * k;
  }
  std::vector<float> wide = washes;
  gaussian(wide, w, h, 3, scaled(canvas, 0.005f));
  const Color paper{0.98f, 0.965f, 0.93f};
  const float margin = 0.035f * unit_len;
  for (int y = 0; y < h; ++y) {
    float* row = canvas.row(y);
    for (int x = 0; x < w; ++x) {
      const auto i = static_cast<std::size_t>((y * w + x) * 3);
      Color c{washes[i], washes[i + 1], washes[i + 2]};
      const Color around{wide[i], wide[i + 1], wide[i + 2]};
      const float edge = luma(around) - luma(c);
      c = c * (1 - std::clamp(-edge * 4, 0.0f, 0.35f));
      const float fx = static_cast<float>(x) + 0.5f;
      const float fy = static_cast<float>(y) + 0.5f;
      // Pigment is uneven: blooms where the wash dried slowly, granules in the paper's grain.
      const float b = blotch.at(fx, fy);
      const float grain = unit(hash2(x / 2, y / 2, seed + 4)) - 0.5f;
      c = saturate(c, 1.1f) * (0.86f + 0.28f * b + 0.08f * grain);
      // Highlights are bare paper, and the painting stops short of the sheet's ragged edge.
      c = mix(c, paper, 0.08f + 0.7f * smoothstep(0.8f, 0.97f, luma(c)));
      const float border =
          std::min({fx, fy, static_cast<float>(w) - fx, static_cast<float>(h) - fy});
      const float painted =
          smoothstep(0.6f, 1.0f, border / margin + (ragged.at(fx, fy) - 0.5f) * 1.4f);
      c = mix(paper, c, painted);
      row[x * 3] = c.r;
      row[x * 3 + 1] = c.g;
      row[x * 3 + 2] = c.b;
    }
  }
}

void pixel_art(Canvas& canvas) {
  const int w = canvas.width();
  const int h = canvas.height();
  const int block = std::max(4, std::min(w, h) / 96);
  const int bw = (w + block - 1) / block;
  const int bh = (h + block - 1) / block;
  std::vector<Color> cells(static_cast<std::size_t>(bw * bh));
  for (int by = 0; by < bh; ++by) {
    for (int bx = 0; bx < bw; ++bx) {
      Color sum;
      int n = 0;
      for (int y = by * block; y < std::min(h, (by + 1) * block); ++y) {
        for (int x = bx * block; x < std::min(w, (bx + 1) * block); ++x) {
          sum = sum + canvas.get(x, y);
          ++n;
        }
      }
      cells[static_cast<std::size_t>(by * bw + bx)] = sum * (1.0f / static_cast<float>(n));
    }
  }
  // A 16-colour palette fitted to the picture by k-means, seeded from luminance quantiles.
  constexpr std::size_t colours = 16;
  std::vector<Color> sorted = cells;
  std::sort(sorted.begin(), sorted.end(), [](Color a, Color b) { return luma(a) < luma(b); });
  std::array<Color, colours> palette;
  for (std::size_t k = 0; k < colours; ++k) {
    palette[k] = sorted[(2 * k + 1) * sorted.size() / (2 * colours)];
  }
  std::vector<std::size_t> nearest(cells.size());
  const auto closest = [&](Color c) {
    std::size_t best = 0;
    float best_d = 1e9f;
    for (std::size_t k = 0; k < colours; ++k) {
      const Color d = c - palette[k];
      const float dist = d.r * d.r * 0.3f + d.g * d.g * 0.59f + d.b * d.b * 0.11f;
      if (dist < best_d) {
        best_d = dist;
        best = k;
      }
    }
    return best;
  };
  for (int iteration = 0; iteration < 6; ++iteration) {
    std::array<Color, colours> sum{};
    std::array<int, colours> count{};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      nearest[i] = closest(cells[i]);
      sum[nearest[i]] = sum[nearest[i]] + cells[i];
      ++count[nearest[i]];
    }
    for (std::size_t k = 0; k < colours; ++k) {
      if (count[k] > 0) palette[k] = sum[k] * (1.0f / static_cast<float>(count[k]));
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const std::size_t cell = static_cast<std::size_t>((y / block) * bw + x / block);
      // Retro palettes are punchier than the picture they quantise.
      canvas.set(x, y, saturate(palette[closest(cells[cell])], 1.15f));
    }
  }
}

void neon(Canvas& canvas) {
  const int w = canvas.width();
  const int h = canvas.height();
  // Edges of shapes, not of texture: find them on a blurred image, in square-root brightness so
  // that outlines in dark scenes count as much as in bright ones.
  std::vector<float> lum = luminance(canvas);
  for (float& l : lum) l = std::sqrt(std::max(0.0f, l));
  gaussian(lum, w, h, 1, scaled(canvas, 0.005f));
  const std::vector<float> grad = edges(lum, w, h);
  std::vector<float> tubes(static_cast<std::size_t>(w * h * 3));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const auto i = static_cast<std::size_t>(y * w + x);
      const float e = smoothstep(0.006f, 0.025f, grad[i]);
      const Color c = canvas.get(x, y);
      float hue = 0, sat = 0, val = 0;
      to_hsv(c, hue, sat, val);
      // Greys and near-blacks (little chroma, whatever their HSV saturation) get the classic neon
      // gradient, magenta at the top to cyan at the bottom.
      const float chroma = std::max({c.r, c.g, c.b}) - std::min({c.r, c.g, c.b});
      if (chroma < 0.15f) hue = 0.88f - 0.36f * static_cast<float>(y) / static_cast<float>(h);
      const Color tube = hsv(hue, 0.85f, 1.0f) * e;
      tubes[i * 3] = tube.r;
      tubes[i * 3 + 1] = tube.g;
      tubes[i * 3 + 2] = tube.b;
    }
  }
  std::vector<float> glow = tubes;
  gaussian(glow, w, h, 3, scaled(canvas, 0.006f));
  for (int y = 0; y < h; ++y) {
    float* row = canvas.row(y);
    for (int x = 0; x < w; ++x) {
      const auto i = static_cast<std::size_t>((y * w + x) * 3);
      const Color c{row[x * 3], row[x * 3 + 1], row[x * 3 + 2]};
      const Color base = c * 0.14f + Color{0.015f, 0.0f, 0.04f};
      const Color core{tubes[i], tubes[i + 1], tubes[i + 2]};
      const Color halo{glow[i], glow[i + 1], glow[i + 2]};
      // The core of a tube is whiter than its glow, as a real neon tube's is.
      const float lit = std::max({core.r, core.g, core.b});
      const Color hot = mix(core, Color{lit, lit, lit}, 0.35f);
      const Color out = screen(screen(base, halo * 2.2f), hot * 0.9f);
      row[x * 3] = out.r;
      row[x * 3 + 1] = out.g;
      row[x * 3 + 2] = out.b;
    }
  }
}

void line_art(Canvas& canvas) {
  const int w = canvas.width();
  const int h = canvas.height();
  std::vector<float> lum = luminance(canvas);
  gaussian(lum, w, h, 1, scaled(canvas, 0.001f));
  const std::vector<float> grad = edges(lum, w, h);
  const Color paper{0.97f, 0.96f, 0.93f};
  const Color ink{0.11f, 0.11f, 0.14f};
  const int spacing = std::max(4, h / 110);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const auto i = static_cast<std::size_t>(y * w + x);
      const float line = smoothstep(0.02f, 0.07f, grad[i]);
      // Hatching darkens the shadows: one direction for mid-tones, crossed for the darkest.
      const float dark = 1 - lum[i];
      float hatch = 0;
      if ((x + y) % spacing == 0) hatch = smoothstep(0.5f, 0.75f, dark) * 0.55f;
      if ((x - y + 4 * h) % spacing == 0)
        hatch = std::max(hatch, smoothstep(0.75f, 0.9f, dark) * 0.6f);
      canvas.set(x, y, mix(paper, ink, std::max(line, hatch)));
    }
  }
}

void oil_painting(Canvas& canvas, std::uint32_t seed) {
  const int w = canvas.width();
  const int h = canvas.height();
  const float unit_len = static_cast<float>(h);
  const float aspect = static_cast<float>(w) / unit_len;
  // Strokes follow a slowly turning direction field; each pixel averages the paint along its
  // stroke (line integral convolution), which smears colour the way a loaded brush does.
  const Field direction(w, h, std::max(2, h / 96),
                        [&](float u, float v) { return fbm(u * aspect * 3, v * 3, seed + 5, 3); });
  const Canvas source = canvas;
  const float step = std::max(1.0f, unit_len * 0.0035f);
  constexpr int taps = 3;  // each side
  for (int y = 0; y < h; ++y) {
    float* row = canvas.row(y);
    for (int x = 0; x < w; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float fy = static_cast<float>(y) + 0.5f;
      const float angle = direction.at(fx, fy) * 2 * pi * 1.5f;
      const float dx = cosine(angle) * step;
      const float dy = sine(angle) * step;
      Color sum = source.get(x, y);
      for (int k = 1; k <= taps; ++k) {
        const float kf = static_cast<float>(k);
        sum = sum + source.nearest(fx + dx * kf, fy + dy * kf) +
              source.nearest(fx - dx * kf, fy - dy * kf);
      }
      Color c = sum * (1.0f / (2 * taps + 1));
      // Impasto: ridges of paint along the stroke catch the light; the canvas weave shows through.
      const float along = fx * dy - fy * dx;  // constant along a stroke, varies across strokes
      const float ridge = value_noise(along / step * 0.9f, seed + 6);
      const float weave = ((x / 2 + y / 2) & 1) ? 0.012f : -0.012f;
      c = saturate(c, 1.12f) * (0.93f + 0.14f * ridge) + Color{weave, weave, weave};
      row[x * 3] = c.r;
      row[x * 3 + 1] = c.g;
      row[x * 3 + 2] = c.b;
    }
  }
}

void low_poly(Canvas& canvas, std::uint32_t seed) {
  const int w = canvas.width();
  const int h = canvas.height();
  const float cell = std::max(8.0f, static_cast<float>(h) * 0.05f);
  const int cols = std::max(1, static_cast<int>(static_cast<float>(w) / cell + 0.5f));
  const int rows = std::max(1, static_cast<int>(static_cast<float>(h) / cell + 0.5f));
  const float cw = static_cast<float>(w) / static_cast<float>(cols);
  const float ch = static_cast<float>(h) / static_cast<float>(rows);
  // A jittered grid of vertices; border vertices stay on the border so the mesh covers the image.
  std::vector<float> vx(static_cast<std::size_t>((cols + 1) * (rows + 1)));
  std::vector<float> vy(vx.size());
  for (int j = 0; j <= rows; ++j) {
    for (int i = 0; i <= cols; ++i) {
      const auto k = static_cast<std::size_t>(j * (cols + 1) + i);
      const float jx = (i == 0 || i == cols) ? 0 : (unit(hash2(i, j, seed + 7)) - 0.5f) * 0.7f;
      const float jy = (j == 0 || j == rows) ? 0 : (unit(hash2(i, j, seed + 8)) - 0.5f) * 0.7f;
      vx[k] = (static_cast<float>(i) + jx) * cw;
      vy[k] = (static_cast<float>(j) + jy) * ch;
    }
  }
  const Canvas source = canvas;
  const auto fill = [&](float ax, float ay, float bx, float by, float cx, float cy,
                        std::uint32_t id) {
    // Flat colour: the mean of samples around the centroid, with a slight facet brightness.
    const float gx = (ax + bx + cx) / 3;
    const float gy = (ay + by + cy) / 3;
    Color c = source.sample(gx, gy) * 0.4f + source.sample((gx + ax) / 2, (gy + ay) / 2) * 0.2f +
              source.sample((gx + bx) / 2, (gy + by) / 2) * 0.2f +
              source.sample((gx + cx) / 2, (gy + cy) / 2) * 0.2f;
    c = c * (0.95f + 0.1f * unit(id));
    const float area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    const float sign = area < 0 ? -1.0f : 1.0f;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({ax, bx, cx}))));
    const int x1 = std::min(w - 1, static_cast<int>(std::ceil(std::max({ax, bx, cx}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({ay, by, cy}))));
    const int y1 = std::min(h - 1, static_cast<int>(std::ceil(std::max({ay, by, cy}))));
    for (int y = y0; y <= y1; ++y) {
      const float py = static_cast<float>(y) + 0.5f;
      for (int x = x0; x <= x1; ++x) {
        const float px = static_cast<float>(x) + 0.5f;
        // Inclusive edge tests: pixels on a shared edge are painted twice, never missed.
        const float e0 = sign * ((bx - ax) * (py - ay) - (by - ay) * (px - ax));
        const float e1 = sign * ((cx - bx) * (py - by) - (cy - by) * (px - bx));
        const float e2 = sign * ((ax - cx) * (py - cy) - (ay - cy) * (px - cx));
        if (e0 >= 0 && e1 >= 0 && e2 >= 0) canvas.set(x, y, c);
      }
    }
  };
  for (int j = 0; j < rows; ++j) {
    for (int i = 0; i < cols; ++i) {
      const auto a = static_cast<std::size_t>(j * (cols + 1) + i);
      const auto b = a + 1;
      const auto c = a + static_cast<std::size_t>(cols + 1);
      const auto d = c + 1;
      const std::uint32_t id = hash2(i, j, seed + 9);
      if (id & 1) {
        fill(vx[a], vy[a], vx[b], vy[b], vx[d], vy[d], id);
        fill(vx[a], vy[a], vx[d], vy[d], vx[c], vy[c], id * 747796405u);
      } else {
        fill(vx[a], vy[a], vx[b], vy[b], vx[c], vy[c], id);
        fill(vx[b], vy[b], vx[d], vy[d], vx[c], vy[c], id * 747796405u);
      }
    }
  }
}

}  // namespace

const std::vector<std::string>& style_names() {
  static const std::vector<std::string> names = {
      "photographic", "watercolor", "pixel-art", "neon", "line-art", "oil-painting", "low-poly"};
  return names;
}

void apply_style(Canvas& canvas, const std::string& style, std::uint32_t seed) {
  if (style == "photographic") {
    photographic(canvas, seed);
  } else if (style == "watercolor") {
    watercolor(canvas, seed);
  } else if (style == "pixel-art") {
    pixel_art(canvas);
  } else if (style == "neon") {
    neon(canvas);
  } else if (style == "line-art") {
    line_art(canvas);
  } else if (style == "oil-painting") {
    oil_painting(canvas, seed);
  } else if (style == "low-poly") {
    low_poly(canvas, seed);
  } else {
    vignette(canvas, 0.18f);
  }
}

std::vector<std::uint8_t> finish(const Canvas& canvas, const Finish& options) {
  const float contrast = 1 + static_cast<float>(options.cfg_scale - 7) * 0.025f;
  const float saturation = std::max(0.0f, 1 + static_cast<float>(options.cfg_scale - 7) * 0.04f);
  const float noise = 0.15f / static_cast<float>(std::max(1, options.steps) + 1);

  // Excluded hues, as (hue, weight) pairs; greys and near-blacks have no hue to exclude by.
  struct Hue {
    float hue;
    float value;
    bool chromatic;
  };
  std::vector<Hue> excluded;
  for (const Color& c : options.excluded) {
    float hue = 0, sat = 0, val = 0;
    to_hsv(c, hue, sat, val);
    excluded.push_back({hue, val, sat > 0.25f});
  }
  Color grade{1, 1, 1};
  if (!options.grade.empty()) {
    Color sum;
    for (const Color& c : options.grade) sum = sum + c;
    grade = sum * (1.0f / static_cast<float>(options.grade.size()));
  }
  const bool graded = !options.grade.empty();

  std::vector<std::uint8_t> out(canvas.data().size());
  for (int y = 0; y < canvas.height(); ++y) {
    const float* row = canvas.row(y);
    for (int x = 0; x < canvas.width(); ++x) {
      Color c{row[x * 3], row[x * 3 + 1], row[x * 3 + 2]};
      if (graded) {
        // Lean towards the free colours of the prompt, keeping each pixel's brightness.
        const Color toned = grade * (luma(c) / std::max(0.05f, luma(grade)));
        c = mix(c, toned, 0.22f);
      }
      for (const Hue& e : excluded) {
        float hue = 0, sat = 0, val = 0;
        to_hsv(c, hue, sat, val);
        if (e.chromatic) {
          float d = std::abs(hue - e.hue);
          d = std::min(d, 1 - d);
          const float weight = sat * (1 - smoothstep(0.04f, 0.14f, d));
          if (weight > 0) {
            // Turn the hue away and wash it out, in proportion to how close it was.
            const float away = hue - e.hue;
            const float turn = (away - std::floor(away + 0.5f)) < 0 ? -0.12f : 0.12f;
            c = hsv(hue + turn * weight, sat * (1 - 0.7f * weight), val);
          }
        } else if (e.value > 0.8f) {
          c = c * (1 - 0.25f * smoothstep(0.75f, 1.0f, luma(c)) * (1 - sat));  // no white
        } else if (e.value < 0.2f) {
          c = c * 0.8f + Color{0.12f, 0.12f, 0.12f};  // no black
        }
      }
      c = saturate(c, saturation);
      c = (c - Color{0.45f, 0.45f, 0.45f}) * contrast + Color{0.45f, 0.45f, 0.45f};
      const std::uint32_t n = hash2(x, y, options.seed ^ 0xA5A5A5A5u);
      const float channel_noise[3] = {unit(n) - 0.5f, unit(n * 0x9E3779B1u) - 0.5f,
                                      unit(n * 0x85EBCA77u) - 0.5f};
      const float values[3] = {c.r, c.g, c.b};
      std::uint8_t* p = &out[static_cast<std::size_t>((y * canvas.width() + x) * 3)];
      for (int k = 0; k < 3; ++k) {
        const float v = clamp01(values[k] + channel_noise[k] * 2 * noise);
        p[k] = static_cast<std::uint8_t>(v * 255 + 0.5f);
      }
    }
  }
  return out;
}

}  // namespace rendermart::procedural
