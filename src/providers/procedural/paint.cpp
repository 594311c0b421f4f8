#include "providers/procedural/paint.hpp"

namespace rendermart::procedural {

Color hsv(float h, float s, float v) {
  h -= std::floor(h);
  const float k = h * 6;
  const int sector = std::min(static_cast<int>(k), 5);
  const float f = k - sector;
  const float p = v * (1 - s);
  const float q = v * (1 - s * f);
  const float t = v * (1 - s * (1 - f));
  switch (sector) {
    case 0: return {v, t, p};
    case 1: return {q, v, p};
    case 2: return {p, v, t};
    case 3: return {p, q, v};
    case 4: return {t, p, v};
    default: return {v, p, q};
  }
}

void to_hsv(Color c, float& h, float& s, float& v) {
  const float hi = std::max({c.r, c.g, c.b});
  const float lo = std::min({c.r, c.g, c.b});
  const float d = hi - lo;
  v = hi;
  s = hi > 0 ? d / hi : 0;
  if (d <= 0) {
    h = 0;
  } else if (hi == c.r) {
    h = (c.g - c.b) / d / 6;
    if (h < 0) h += 1;
  } else if (hi == c.g) {
    h = ((c.b - c.r) / d + 2) / 6;
  } else {
    h = ((c.r - c.g) / d + 4) / 6;
  }
}

namespace {

float lattice(std::int32_t x, std::int32_t y, std::uint32_t seed) {
  return unit(hash2(x, y, seed));
}

float fade(float t) { return t * t * (3 - 2 * t); }

}  // namespace

float value_noise(float x, float y, std::uint32_t seed) {
  const float fx0 = std::floor(x);
  const float fy0 = std::floor(y);
  const auto xi = static_cast<std::int32_t>(fx0);
  const auto yi = static_cast<std::int32_t>(fy0);
  const float tx = fade(x - fx0);
  const float ty = fade(y - fy0);
  const float a = lattice(xi, yi, seed);
  const float b = lattice(xi + 1, yi, seed);
  const float c = lattice(xi, yi + 1, seed);
  const float d = lattice(xi + 1, yi + 1, seed);
  return lerp(lerp(a, b, tx), lerp(c, d, tx), ty);
}

float fbm(float x, float y, std::uint32_t seed, int octaves) {
  float sum = 0;
  float amplitude = 0.5f;
  float total = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amplitude * value_noise(x, y, seed + static_cast<std::uint32_t>(i) * 0x9E3779B9u);
    total += amplitude;
    // Rotating-ish offsets between octaves hide the lattice's axis alignment.
    const float nx = x * 1.6f + y * 1.2f + 17.3f;
    y = y * 1.6f - x * 1.2f + 5.1f;
    x = nx;
    amplitude *= 0.5f;
  }
  return sum / total;
}

float value_noise(float x, std::uint32_t seed) {
  const float fx0 = std::floor(x);
  const auto xi = static_cast<std::int32_t>(fx0);
  return lerp(lattice(xi, 0, seed), lattice(xi + 1, 0, seed), fade(x - fx0));
}

float fbm(float x, std::uint32_t seed, int octaves) {
  float sum = 0;
  float amplitude = 0.5f;
  float total = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amplitude * value_noise(x, seed + static_cast<std::uint32_t>(i) * 0x9E3779B9u);
    total += amplitude;
    x = x * 2.03f + 11.7f;
    amplitude *= 0.5f;
  }
  return sum / total;
}

}  // namespace rendermart::procedural
