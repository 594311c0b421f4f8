#pragma once

// The drawing toolkit of the procedural generator: a seeded PRNG, colours, a float canvas, value
// noise and low-resolution noise fields.
//
// Output must be bit-identical on every machine for the same request, so nothing here uses
// std:: random distributions (implementation-defined) or libm transcendental functions (whose
// last bit differs between C libraries): only + - * /, sqrt and floor, which IEEE 754 defines
// exactly, and our own polynomial sine.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rendermart::procedural {

// --- Hashing and random numbers.

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

// A 2D lattice hash: cheap enough for per-pixel grain.
constexpr std::uint32_t hash2(std::int32_t x, std::int32_t y, std::uint32_t seed) {
  std::uint32_t h = seed ^ (static_cast<std::uint32_t>(x) * 0x8DA6B343u) ^
                    (static_cast<std::uint32_t>(y) * 0xD8163841u);
  h ^= h >> 16;
  h *= 0x7FEB352Du;
  h ^= h >> 15;
  h *= 0x846CA68Bu;
  h ^= h >> 16;
  return h;
}

// Uniform in [0, 1) from the top 24 bits, which a float holds exactly.
constexpr float unit(std::uint32_t h) { return static_cast<float>(h >> 8) * (1.0f / 16777216.0f); }

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return splitmix64(state_);
  }
  float uniform() { return unit(static_cast<std::uint32_t>(next() >> 32)); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  int below(int n) { return static_cast<int>((next() >> 33) % static_cast<std::uint64_t>(n)); }
  bool chance(float p) { return uniform() < p; }

 private:
  std::uint64_t state_;
};

// --- Scalar helpers.

constexpr float pi = 3.14159265358979f;

inline float clamp01(float x) { return std::clamp(x, 0.0f, 1.0f); }
inline float lerp(float a, float b, float t) { return a + (b - a) * t; }
inline float smoothstep(float e0, float e1, float x) {
  const float t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}
// A soft bell: 1 at d = 0, 1/2 at d = r; a stand-in for exp that needs no libm.
inline float falloff(float d, float r) { return r * r / (r * r + d * d); }

// sin(x) to about 1e-4, from floor and a polynomial only.
inline float sine(float x) {
  float t = x * (1 / (2 * pi));
  t -= std::floor(t + 0.5f);  // [-0.5, 0.5) of a turn
  // Bhaskara-style parabola with one refinement step.
  const float y = 8 * t - 16 * t * (t < 0 ? -t : t);
  return 0.225f * (y * (y < 0 ? -y : y) - y) + y;
}
inline float cosine(float x) { return sine(x + pi / 2); }

// --- Colour, in gamma-encoded sRGB, 0..1 per channel.

struct Color {
  float r = 0;
  float g = 0;
  float b = 0;
};

inline Color operator+(Color a, Color b) { return {a.r + b.r, a.g + b.g, a.b + b.b}; }
inline Color operator-(Color a, Color b) { return {a.r - b.r, a.g - b.g, a.b - b.b}; }
inline Color operator*(Color a, float k) { return {a.r * k, a.g * k, a.b * k}; }
inline Color mix(Color a, Color b, float t) {
  return {lerp(a.r, b.r, t), lerp(a.g, b.g, t), lerp(a.b, b.b, t)};
}
inline float luma(Color c) { return 0.299f * c.r + 0.587f * c.g + 0.114f * c.b; }
inline Color saturate(Color c, float k) {
  const float l = luma(c);
  return {l + (c.r - l) * k, l + (c.g - l) * k, l + (c.b - l) * k};
}
inline Color screen(Color a, Color b) {
  return {1 - (1 - a.r) * (1 - b.r), 1 - (1 - a.g) * (1 - b.g), 1 - (1 - a.b) * (1 - b.b)};
}
constexpr Color rgb8(int r, int g, int b) {
  return {static_cast<float>(r) / 255, static_cast<float>(g) / 255, static_cast<float>(b) / 255};
}

// Hue, saturation, value, each 0..1.
Color hsv(float h, float s, float v);
void to_hsv(Color c, float& h, float& s, float& v);

// --- The canvas: float RGB, so that layers blend without banding before the final quantisation.

class Canvas {
 public:
  Canvas(int width, int height)
      : width_(width),
        height_(height),
        data_(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3) {}

  int width() const { return width_; }
  int height() const { return height_; }
  float* row(int y) { return data_.data() + static_cast<std::size_t>(y) * width_ * 3; }
  const float* row(int y) const { return data_.data() + static_cast<std::size_t>(y) * width_ * 3; }
  std::vector<float>& data() { return data_; }
  const std::vector<float>& data() const { return data_; }

  Color get(int x, int y) const {
    const float* p = row(y) + x * 3;
    return {p[0], p[1], p[2]};
  }
  Color get_clamped(int x, int y) const {
    return get(std::clamp(x, 0, width_ - 1), std::clamp(y, 0, height_ - 1));
  }
  // The pixel under a point, edges repeating: a cheaper sample where a blur follows anyway.
  Color nearest(float x, float y) const {
    return get_clamped(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)));
  }
  // Bilinear sample at pixel coordinates (pixel centres at integer + 0.5).
  Color sample(float x, float y) const {
    x -= 0.5f;
    y -= 0.5f;
    const float fx0 = std::floor(x);
    const float fy0 = std::floor(y);
    const int x0 = static_cast<int>(fx0);
    const int y0 = static_cast<int>(fy0);
    const float fx = x - fx0;
    const float fy = y - fy0;
    if (x0 >= 0 && y0 >= 0 && x0 + 1 < width_ && y0 + 1 < height_) {
      // Inside: the four pixels without clamping (the common case).
      const float* a = row(y0) + x0 * 3;
      const float* b = a + static_cast<std::size_t>(width_) * 3;
      const auto channel = [&](int c) {
        const float top = a[c] + (a[c + 3] - a[c]) * fx;
        const float bottom = b[c] + (b[c + 3] - b[c]) * fx;
        return top + (bottom - top) * fy;
      };
      return {channel(0), channel(1), channel(2)};
    }
    const Color top = mix(get_clamped(x0, y0), get_clamped(x0 + 1, y0), fx);
    const Color bottom = mix(get_clamped(x0, y0 + 1), get_clamped(x0 + 1, y0 + 1), fx);
    return mix(top, bottom, fy);
  }
  void set(int x, int y, Color c) {
    float* p = row(y) + x * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void blend(int x, int y, Color c, float alpha) {
    float* p = row(y) + x * 3;
    p[0] += (c.r - p[0]) * alpha;
    p[1] += (c.g - p[1]) * alpha;
    p[2] += (c.b - p[2]) * alpha;
  }
  void add(int x, int y, Color c) {
    float* p = row(y) + x * 3;
    p[0] += c.r;
    p[1] += c.g;
    p[2] += c.b;
  }

 private:
  int width_;
  int height_;
  std::vector<float> data_;
};

// --- Noise.

// Value noise in [0, 1] on an integer lattice, smoothly interpolated.
float value_noise(float x, float y, std::uint32_t seed);
// Fractal sum of `octaves` value noises, each at double frequency and half amplitude; [0, 1].
float fbm(float x, float y, std::uint32_t seed, int octaves);
// 1D versions, for ridge lines.
float value_noise(float x, std::uint32_t seed);
float fbm(float x, std::uint32_t seed, int octaves);

// A scalar function of the image plane computed on a coarse grid and sampled bilinearly: smooth
// noise costs a few multiplications per pixel instead of a full fractal sum.
class Field {
 public:
  Field() = default;
  // `cell` pixels per grid step; f(u, v) with u, v in [0, 1] over the image.
  template <typename F>
  Field(int width, int height, int cell, F&& f)
      : grid_w_(width / cell + 2),
        grid_h_(height / cell + 2),
        scale_x_(static_cast<float>(grid_w_ - 1) / static_cast<float>(width)),
        scale_y_(static_cast<float>(grid_h_ - 1) / static_cast<float>(height)),
        values_(static_cast<std::size_t>(grid_w_) * static_cast<std::size_t>(grid_h_)) {
    for (int j = 0; j < grid_h_; ++j) {
      for (int i = 0; i < grid_w_; ++i) {
        values_[static_cast<std::size_t>(j * grid_w_ + i)] =
            f(static_cast<float>(i) / (grid_w_ - 1), static_cast<float>(j) / (grid_h_ - 1));
      }
    }
  }

  // At pixel coordinates.
  float at(float x, float y) const {
    const float gx = std::clamp(x * scale_x_, 0.0f, static_cast<float>(grid_w_ - 1) - 0.001f);
    const float gy = std::clamp(y * scale_y_, 0.0f, static_cast<float>(grid_h_ - 1) - 0.001f);
    const int i = static_cast<int>(gx);
    const int j = static_cast<int>(gy);
    const float fx = gx - i;
    const float fy = gy - j;
    const float* p = values_.data() + j * grid_w_ + i;
    const float top = p[0] + (p[1] - p[0]) * fx;
    const float bottom = p[grid_w_] + (p[grid_w_ + 1] - p[grid_w_]) * fx;
    return top + (bottom - top) * fy;
  }

 private:
  int grid_w_ = 0;
  int grid_h_ = 0;
  float scale_x_ = 0;
  float scale_y_ = 0;
  std::vector<float> values_;
};

}  // namespace rendermart::procedural
