#include "providers/procedural/compose.hpp"

#include <algorithm>
#include <cmath>

namespace rendermart::procedural {

namespace {

// Colours that depend on the light of the scene: {day, sunset, night}.
struct Lit {
  Color day, sunset, night;
  Color operator[](Light light) const {
    return light == Light::day ? day : light == Light::sunset ? sunset : night;
  }
};

constexpr Color white{1, 1, 1};

// A prompt colour ("red fox") carried at the brightness the scene gives the element, so that a red
// fox at night is a dark red fox.
Color keep_brightness(Color wanted, Color natural) {
  const float scale = std::clamp(luma(natural) / std::max(luma(wanted), 0.05f), 0.3f, 1.6f);
  return wanted * scale;
}

// Moving average over 2 * radius + 1 samples, edges clamped.
void box_smooth(std::vector<float>& values, int radius) {
  const std::vector<float> source = values;
  const auto n = static_cast<int>(source.size());
  for (int i = 0; i < n; ++i) {
    float sum = 0;
    for (int k = -radius; k <= radius; ++k) {
      sum += source[static_cast<std::size_t>(std::clamp(i + k, 0, n - 1))];
    }
    values[static_cast<std::size_t>(i)] = sum / static_cast<float>(2 * radius + 1);
  }
}

Color gradient(const std::vector<Color>& stops, float t) {
  const float pos = clamp01(t) * static_cast<float>(stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(pos), stops.size() - 2);
  return mix(stops[i], stops[i + 1], pos - static_cast<float>(i));
}

// --- Signed distances (negative inside), for the animal and bird silhouettes.

float sd_ellipse(float px, float py, float cx, float cy, float rx, float ry) {
  const float dx = (px - cx) / rx;
  const float dy = (py - cy) / ry;
  return (std::sqrt(dx * dx + dy * dy) - 1) * std::min(rx, ry);
}

float sd_capsule(float px, float py, float ax, float ay, float bx, float by, float r) {
  const float pax = px - ax;
  const float pay = py - ay;
  const float bax = bx - ax;
  const float bay = by - ay;
  const float h = clamp01((pax * bax + pay * bay) / (bax * bax + bay * bay));
  const float dx = pax - bax * h;
  const float dy = pay - bay * h;
  return std::sqrt(dx * dx + dy * dy) - r;
}

float sd_triangle(float px, float py, float ax, float ay, float bx, float by, float cx, float cy) {
  const float orientation = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0 ? 1.0f : -1.0f;
  const auto edge = [&](float x0, float y0, float x1, float y1) {
    const float ex = x1 - x0;
    const float ey = y1 - y0;
    const float len = std::sqrt(ex * ex + ey * ey);
    return orientation * ((px - x0) * ey - (py - y0) * ex) / len;
  };
  return std::max({edge(ax, ay, bx, by), edge(bx, by, cx, cy), edge(cx, cy, ax, ay)});
}

struct Part {
  enum Kind { ellipse, capsule, triangle } kind;
  float a, b, c, d, e, f;
  bool accent;  // drawn in the accent colour (a fox's tail tip)
};

// Silhouettes in body lengths: facing right, feet at y = 0, y up.
const std::vector<Part>& parts_of(Animal animal) {
  using K = Part::Kind;
  static const std::vector<Part> fox = {
      {K::ellipse, 0, 0.34f, 0.33f, 0.135f, 0, 0, false},
      {K::ellipse, 0.22f, 0.37f, 0.14f, 0.14f, 0, 0, false},
      {K::capsule, 0.24f, 0.40f, 0.37f, 0.53f, 0.085f, 0, false},
      {K::ellipse, 0.42f, 0.57f, 0.11f, 0.09f, 0, 0, false},
      {K::triangle, 0.44f, 0.62f, 0.64f, 0.51f, 0.44f, 0.49f, false},
      {K::triangle, 0.34f, 0.60f, 0.37f, 0.80f, 0.44f, 0.63f, false},
      {K::triangle, 0.41f, 0.62f, 0.47f, 0.80f, 0.50f, 0.60f, false},
      {K::capsule, 0.20f, 0.30f, 0.22f, 0.02f, 0.032f, 0, false},
      {K::capsule, 0.28f, 0.30f, 0.31f, 0.02f, 0.032f, 0, false},
      {K::capsule, -0.20f, 0.32f, -0.25f, 0.02f, 0.036f, 0, false},
      {K::capsule, -0.13f, 0.30f, -0.10f, 0.02f, 0.032f, 0, false},
      {K::ellipse, -0.44f, 0.30f, 0.2f, 0.1f, 0, 0, false},
      {K::capsule, -0.30f, 0.36f, -0.52f, 0.28f, 0.085f, 0, false},
      {K::capsule, -0.52f, 0.28f, -0.66f, 0.24f, 0.075f, 0, false},
      {K::ellipse, -0.69f, 0.24f, 0.075f, 0.065f, 0, 0, true},
  };
  static const std::vector<Part> cat = {
      {K::ellipse, 0, 0.30f, 0.30f, 0.11f, 0, 0, false},
      {K::capsule, 0.22f, 0.34f, 0.32f, 0.44f, 0.07f, 0, false},
      {K::ellipse, 0.36f, 0.46f, 0.095f, 0.088f, 0, 0, false},
      {K::triangle, 0.29f, 0.51f, 0.30f, 0.63f, 0.36f, 0.54f, false},
      {K::triangle, 0.37f, 0.54f, 0.42f, 0.63f, 0.43f, 0.51f, false},
      {K::capsule, 0.20f, 0.28f, 0.21f, 0.02f, 0.025f, 0, false},
      {K::capsule, 0.26f, 0.28f, 0.27f, 0.02f, 0.025f, 0, false},
      {K::capsule, -0.20f, 0.28f, -0.22f, 0.02f, 0.027f, 0, false},
      {K::capsule, -0.13f, 0.28f, -0.12f, 0.02f, 0.025f, 0, false},
      {K::capsule, -0.28f, 0.33f, -0.40f, 0.46f, 0.025f, 0, false},
      {K::capsule, -0.40f, 0.46f, -0.36f, 0.62f, 0.023f, 0, false},
  };
  static const std::vector<Part> wolf = {
      {K::ellipse, 0, 0.38f, 0.36f, 0.135f, 0, 0, false},
      {K::ellipse, 0.25f, 0.40f, 0.14f, 0.14f, 0, 0, false},
      {K::capsule, 0.27f, 0.44f, 0.38f, 0.55f, 0.085f, 0, false},
      {K::ellipse, 0.43f, 0.58f, 0.11f, 0.09f, 0, 0, false},
      {K::capsule, 0.48f, 0.55f, 0.62f, 0.52f, 0.042f, 0, false},
      {K::triangle, 0.36f, 0.63f, 0.39f, 0.75f, 0.44f, 0.65f, false},
      {K::triangle, 0.42f, 0.64f, 0.46f, 0.75f, 0.49f, 0.62f, false},
      {K::capsule, 0.22f, 0.33f, 0.24f, 0.02f, 0.034f, 0, false},
      {K::capsule, 0.30f, 0.33f, 0.33f, 0.02f, 0.032f, 0, false},
      {K::capsule, -0.24f, 0.36f, -0.28f, 0.02f, 0.036f, 0, false},
      {K::capsule, -0.16f, 0.34f, -0.13f, 0.02f, 0.033f, 0, false},
      {K::capsule, -0.32f, 0.42f, -0.46f, 0.24f, 0.06f, 0, false},
      {K::capsule, -0.46f, 0.24f, -0.50f, 0.14f, 0.05f, 0, false},
      {K::ellipse, 0.31f, 0.38f, 0.07f, 0.1f, 0, 0, true},
  };
  static const std::vector<Part> rabbit = {
      {K::ellipse, 0, 0.17f, 0.2f, 0.16f, 0, 0, false},
      {K::ellipse, -0.08f, 0.13f, 0.14f, 0.13f, 0, 0, false},
      {K::ellipse, 0.19f, 0.32f, 0.09f, 0.08f, 0, 0, false},
      {K::capsule, 0.16f, 0.38f, 0.11f, 0.62f, 0.032f, 0, false},
      {K::capsule, 0.21f, 0.38f, 0.21f, 0.63f, 0.032f, 0, false},
      {K::capsule, 0.13f, 0.10f, 0.16f, 0.01f, 0.03f, 0, false},
      {K::ellipse, -0.04f, 0.025f, 0.12f, 0.025f, 0, 0, false},
      {K::ellipse, -0.21f, 0.2f, 0.05f, 0.05f, 0, 0, true},
  };
  static const std::vector<Part> deer = {
      {K::ellipse, 0, 0.56f, 0.32f, 0.12f, 0, 0, false},
      {K::capsule, 0.24f, 0.60f, 0.34f, 0.84f, 0.06f, 0, false},
      {K::capsule, 0.34f, 0.88f, 0.46f, 0.83f, 0.045f, 0, false},
      {K::triangle, 0.31f, 0.90f, 0.26f, 0.97f, 0.34f, 0.93f, false},
      {K::capsule, 0.20f, 0.50f, 0.22f, 0.0f, 0.022f, 0, false},
      {K::capsule, 0.26f, 0.50f, 0.28f, 0.0f, 0.022f, 0, false},
      {K::capsule, -0.22f, 0.50f, -0.25f, 0.0f, 0.024f, 0, false},
      {K::capsule, -0.15f, 0.50f, -0.14f, 0.0f, 0.022f, 0, false},
      {K::capsule, 0.35f, 0.92f, 0.30f, 1.12f, 0.012f, 0, false},
      {K::capsule, 0.32f, 1.02f, 0.24f, 1.08f, 0.011f, 0, false},
      {K::capsule, 0.31f, 1.08f, 0.36f, 1.16f, 0.010f, 0, false},
      {K::capsule, 0.37f, 0.92f, 0.42f, 1.13f, 0.012f, 0, false},
      {K::capsule, 0.40f, 1.04f, 0.47f, 1.08f, 0.011f, 0, false},
      {K::ellipse, -0.32f, 0.60f, 0.04f, 0.04f, 0, 0, true},
  };
  static const std::vector<Part> none;
  switch (animal) {
    case Animal::fox: return fox;
    case Animal::cat: return cat;
    case Animal::wolf: return wolf;
    case Animal::rabbit: return rabbit;
    case Animal::deer: return deer;
    case Animal::none: break;
  }
  return none;
}

float sd_part(const Part& p, float x, float y) {
  switch (p.kind) {
    case Part::ellipse: return sd_ellipse(x, y, p.a, p.b, p.c, p.d);
    case Part::capsule: return sd_capsule(x, y, p.a, p.b, p.c, p.d, p.e);
    case Part::triangle: return sd_triangle(x, y, p.a, p.b, p.c, p.d, p.e, p.f);
  }
  return 1;
}

// Distance to the whole silhouette and to its accent parts.
void sd_animal(const std::vector<Part>& parts, float x, float y, float& body, float& accent) {
  body = 1e9f;
  accent = 1e9f;
  for (const auto& p : parts) {
    const float d = sd_part(p, x, y);
    body = std::min(body, d);
    if (p.accent) accent = std::min(accent, d);
  }
}

}  // namespace

// --- Setup.

Composer::Composer(const Scene& scene, const std::string& style, std::uint32_t seed, int width,
                   int height)
    : scene_(scene),
      seed_(seed),
      width_(width),
      height_(height),
      unit_(static_cast<float>(height)),
      neon_(style == "neon") {
  Rng rng(splitmix64(scene.hash ^ (static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull)));
  if (scene[Element::night]) {
    light_ = Light::night;
  } else if (scene[Element::sunset]) {
    light_ = Light::sunset;
  }
  abstract_ = scene[Element::abstract];
  if (abstract_) {
    setup_abstract(rng);
  } else {
    setup_landscape(rng);
  }
}

Color Composer::element_colour(Element e, Color natural, float weight) const {
  const auto& wanted = scene_.colours_of(e);
  if (wanted.empty()) return natural;
  return mix(natural, keep_brightness(wanted.front(), natural), weight);
}

void Composer::setup_landscape(Rng& rng) {
  const Scene& s = scene_;
  const auto w = static_cast<float>(width_);
  const auto h = static_cast<float>(height_);
  const std::uint32_t base_seed = static_cast<std::uint32_t>(rng.next());

  water_ = s[Element::water];
  const bool desert = s[Element::desert];
  const bool snow = s[Element::snow];
  const bool city = s[Element::city];
  bool land = water_ || desert || snow || city || s[Element::mountains] || s[Element::forest] ||
              s[Element::meadow] || s[Element::hills] || s[Element::animal];
  const bool celestial = s[Element::sunset] || s[Element::sun] || s[Element::night] ||
                         s[Element::moon] || s[Element::stars];
  const bool hills_only = !land && celestial;
  land = land || hills_only;

  // Where the horizon sits depends on what the picture is about.
  float horizon = 1;
  if (water_) {
    horizon = rng.uniform(0.52f, 0.62f);
  } else if (city && !s[Element::mountains] && !s[Element::forest]) {
    horizon = rng.uniform(0.8f, 0.86f);
  } else if (desert) {
    horizon = rng.uniform(0.5f, 0.58f);
  } else if (hills_only) {
    horizon = rng.uniform(0.72f, 0.8f);
  } else if (land) {
    horizon = rng.uniform(0.58f, 0.68f);
  }
  horizon_ = horizon * h;

  // Sky.
  static constexpr Lit top{{0.20f, 0.42f, 0.78f}, {0.12f, 0.13f, 0.34f}, {0.008f, 0.012f, 0.04f}};
  static constexpr Lit mid{{0.42f, 0.64f, 0.90f}, {0.80f, 0.38f, 0.42f}, {0.02f, 0.04f, 0.11f}};
  static constexpr Lit bottom{{0.80f, 0.88f, 0.95f}, {1.0f, 0.74f, 0.40f}, {0.06f, 0.10f, 0.22f}};
  sky_top_ = top[light_];
  sky_mid_ = mid[light_];
  sky_bottom_ = bottom[light_];
  if (snow && light_ == Light::day) {
    sky_top_ = mix(sky_top_, {0.55f, 0.65f, 0.8f}, 0.4f);
    sky_bottom_ = mix(sky_bottom_, white, 0.4f);
  }
  std::vector<Color> sky_colours;
  for (Element e : {Element::sky, Element::sunset, Element::night}) {
    const auto& c = s.colours_of(e);
    sky_colours.insert(sky_colours.end(), c.begin(), c.end());
  }
  float tint = 0.55f;
  if (sky_colours.empty() && !s.palette.empty()) {
    // Colours not tied to anything tint the sky more gently.
    sky_colours = s.palette;
    tint = 0.3f;
  }
  if (!sky_colours.empty()) {
    const Color first = sky_colours.front();
    const Color last = sky_colours.size() > 1 ? sky_colours.back() : mix(first, white, 0.5f);
    sky_top_ = mix(sky_top_, keep_brightness(first, sky_top_), tint);
    sky_mid_ = mix(sky_mid_, keep_brightness(first, sky_mid_), tint);
    sky_bottom_ = mix(sky_bottom_, keep_brightness(last, sky_bottom_), tint);
  }
  haze_ = mix(sky_bottom_, sky_mid_, 0.25f);
  static constexpr Lit snow_lit{{0.95f, 0.96f, 1.0f}, {1.0f, 0.80f, 0.72f}, {0.34f, 0.38f, 0.52f}};
  snow_colour_ = snow_lit[light_];

  // Sun or moon: one light in the sky.
  const bool want_sun = (s[Element::sun] || light_ == Light::sunset) && light_ != Light::night;
  moon_ = s[Element::moon] && !want_sun;
  sun_ = want_sun;
  if (sun_ || moon_) {
    orb_x_ = w * rng.uniform(0.22f, 0.78f);
    if (sun_ && light_ == Light::sunset) {
      orb_y_ = std::min(horizon_, h * 0.85f) - unit_ * rng.uniform(0.03f, 0.08f);
      orb_radius_ = 0.05f * unit_;
      orb_colour_ = {1.0f, 0.93f, 0.70f};
      glow_colour_ = {1.0f, 0.55f, 0.25f};
    } else if (sun_) {
      orb_y_ = unit_ * rng.uniform(0.1f, 0.24f);
      orb_radius_ = 0.04f * unit_;
      orb_colour_ = {1.0f, 0.98f, 0.92f};
      glow_colour_ = {0.6f, 0.55f, 0.45f};
    } else {
      orb_y_ = std::min(horizon_ * 0.55f, unit_ * rng.uniform(0.12f, 0.26f));
      orb_radius_ = 0.042f * unit_;
      orb_colour_ = {0.95f, 0.94f, 0.86f};
      glow_colour_ = light_ == Light::night ? Color{0.30f, 0.36f, 0.55f} : Color{0.2f, 0.2f, 0.2f};
    }
    const Element orb = sun_ ? Element::sun : Element::moon;
    orb_colour_ = element_colour(orb, orb_colour_, 0.7f);
    glow_colour_ = element_colour(orb, glow_colour_, 0.5f);
  }

  // Stars, and the band of a galaxy.
  if (s[Element::stars] || light_ == Light::night) {
    const bool many = s[Element::stars] || s[Element::galaxy];
    const float density = light_ == Light::night ? (many ? 0.0009f : 0.0004f) : 0.00025f;
    // Under neon every star becomes a glowing ring: a few are enough.
    const auto count = static_cast<int>(w * horizon_ * density * (neon_ ? 0.3f : 1.0f));
    const float size = std::max(0.6f, unit_ / 1024);
    const Color tint_colour = element_colour(Element::stars, white, 0.7f);
    galaxy_ = s[Element::galaxy];
    if (galaxy_) {
      galaxy_x_ = w * rng.uniform(0.3f, 0.7f);
      galaxy_y_ = horizon_ * rng.uniform(0.3f, 0.5f);
      const float angle = rng.uniform(0.35f, 1.2f) * (rng.chance(0.5f) ? 1.0f : -1.0f);
      galaxy_nx_ = -sine(angle);
      galaxy_ny_ = cosine(angle);
      galaxy_colour_ = element_colour(Element::galaxy, {0.62f, 0.52f, 0.95f}, 0.8f);
      const std::uint32_t gseed = base_seed + 101;
      const float aspect = w / h;
      galaxy_field_ = Field(width_, height_, std::max(2, height_ / 160),
                            [&](float u, float v) { return fbm(u * aspect * 5, v * 5, gseed, 5); });
    }
    for (int i = 0; i < count; ++i) {
      Star star{};
      star.x = rng.uniform(0, w);
      star.y = rng.uniform(0, horizon_);
      if (galaxy_ && rng.chance(0.45f)) {
        // Crowd into the band: a point along its line, pushed off by a bell-shaped offset.
        const float along = rng.uniform(-1.0f, 1.0f) * w;
        const float off = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5f) * 0.09f * unit_;
        star.x = galaxy_x_ - galaxy_ny_ * along + galaxy_nx_ * off;
        star.y = galaxy_y_ + galaxy_nx_ * along + galaxy_ny_ * off;
        if (star.x < 0 || star.x >= w || star.y < 0 || star.y >= horizon_) continue;
      }
      const float b = rng.uniform();
      star.brightness = (0.15f + 0.85f * b * b * b) * (light_ == Light::night ? 1.0f : 0.4f);
      star.radius = size * (0.45f + 1.1f * b * b);
      star.colour = mix(mix(Color{0.75f, 0.85f, 1.0f}, Color{1.0f, 0.9f, 0.75f}, rng.uniform()),
                        tint_colour, 0.5f);
      stars_.push_back(star);
    }
  }

  // Clouds: asked for, or a few by default in daylight and at sunset.
  const bool asked = s[Element::clouds];
  clouds_ = asked || (light_ != Light::night && !s.is_removed(Element::clouds));
  if (clouds_) {
    cloud_threshold_ = asked ? rng.uniform(0.46f, 0.52f) : rng.uniform(0.56f, 0.62f);
    static constexpr Lit lit{{1, 1, 1}, {1.0f, 0.72f, 0.55f}, {0.30f, 0.33f, 0.45f}};
    static constexpr Lit shade{{0.66f, 0.72f, 0.83f}, {0.42f, 0.26f, 0.40f}, {0.07f, 0.08f, 0.14f}};
    cloud_lit_ = element_colour(Element::clouds, lit[light_], 0.6f);
    cloud_shadow_ = element_colour(Element::clouds, shade[light_], 0.4f);
    const std::uint32_t cseed = base_seed + 202;
    const float aspect = w / h;
    const float ox = rng.uniform(0, 100);
    cloud_field_ = Field(width_, height_, std::max(2, height_ / 200), [&](float u, float v) {
      // Wider than tall, as clouds seen from below are.
      return fbm(u * aspect * 2.6f + ox, v * 7.0f, cseed, 6);
    });
  }

  // Mountain ranges, far to near.
  if (s[Element::mountains]) {
    static constexpr Lit far{{0.52f, 0.60f, 0.72f}, {0.62f, 0.40f, 0.52f}, {0.09f, 0.11f, 0.19f}};
    static constexpr Lit near{{0.24f, 0.29f, 0.33f}, {0.22f, 0.13f, 0.22f}, {0.025f, 0.03f, 0.06f}};
    const float scale = horizon_ / (0.64f * h);
    constexpr int ranges = 3;
    for (int k = 0; k < ranges; ++k) {
      const float t = static_cast<float>(k) / (ranges - 1);
      Ridge ridge;
      ridge.colour = element_colour(Element::mountains, mix(far[light_], near[light_], t), 0.6f);
      const float peak = lerp(0.34f, 0.14f, t) * scale * unit_;
      const float freq = lerp(2.0f, 3.6f, t);
      const float off = rng.uniform(0, 1000);
      const std::uint32_t rseed = base_seed + 300 + static_cast<std::uint32_t>(k);
      ridge.top.resize(static_cast<std::size_t>(width_));
      float highest = horizon_;
      for (int x = 0; x < width_; ++x) {
        const float X = static_cast<float>(x) / unit_;
        const float n = fbm(X * freq + off, rseed, 6);
        const float ridged = 1 - std::abs(2 * n - 1);
        const float broad = fbm(X * 0.8f + off, rseed + 7, 3);
        const float shape = clamp01(0.1f + 0.6f * ridged * ridged + 0.9f * (broad - 0.35f));
        const float y = horizon_ - 0.02f * unit_ - peak * shape;
        ridge.top[static_cast<std::size_t>(x)] = y;
        highest = std::min(highest, y);
      }
      // Faces: a ridge line falling to the right has a right-facing slope below it. Smoothed so
      // that small bumps do not flicker between light and shadow.
      ridge.face.resize(ridge.top.size());
      for (std::size_t x = 0; x < ridge.top.size(); ++x) {
        const float right = ridge.top[std::min(x + 2, ridge.top.size() - 1)];
        const float left = ridge.top[x >= 2 ? x - 2 : 0];
        ridge.face[x] = std::clamp((right - left) * 1.2f, -1.0f, 1.0f);
      }
      box_smooth(ridge.face, std::max(1, static_cast<int>(unit_ * 0.01f)));
      // Snow caps: the tallest peaks only, or everything high when the prompt says snow.
      const float cap = desert ? 0 : snow ? 0.5f : (k == 0 ? 0.28f : 0.12f);
      ridge.snow_line = highest + (horizon_ - highest) * cap;
      ridges_.push_back(std::move(ridge));
    }
    // A low sun sets into the deepest notch of the skyline, partly hidden.
    if (sun_ && light_ == Light::sunset) {
      float lowest = 0;
      for (int x = width_ / 5; x < width_ * 4 / 5; ++x) {
        float sky_bottom = horizon_;
        for (const auto& r : ridges_)
          sky_bottom = std::min(sky_bottom, r.top[static_cast<std::size_t>(x)]);
        if (sky_bottom > lowest) {
          lowest = sky_bottom;
          orb_x_ = static_cast<float>(x) + 0.5f;
        }
      }
      orb_y_ = lowest - orb_radius_ * 0.3f;
    }
    const std::uint32_t mseed = base_seed + 404;
    const float aspect = w / h;
    rock_field_ = Field(width_, height_, std::max(2, height_ / 256),
                        [&](float u, float v) { return fbm(u * aspect * 9, v * 9, mseed, 5); });
  }

  // City skylines: a far row and a near row of buildings standing on the horizon.
  if (city) {
    static constexpr Lit far{{0.55f, 0.60f, 0.68f}, {0.36f, 0.24f, 0.36f}, {0.06f, 0.07f, 0.12f}};
    static constexpr Lit near{
        {0.33f, 0.37f, 0.44f}, {0.16f, 0.10f, 0.18f}, {0.02f, 0.025f, 0.045f}};
    float lit = light_ == Light::night ? 0.42f : light_ == Light::sunset ? 0.22f : 0.0f;
    if (neon_) lit = 0.1f;
    window_colour_ = light_ == Light::day ? Color{0.70f, 0.78f, 0.86f} : Color{1.0f, 0.80f, 0.45f};
    const float tall = horizon_ / h > 0.7f ? 1.5f : 1.0f;
    for (int row = 0; row < 2; ++row) {
      Skyline line;
      line.body = element_colour(Element::city, row == 0 ? far[light_] : near[light_], 0.5f);
      line.lit_fraction = lit;
      line.at_column.assign(static_cast<std::size_t>(width_), -1);
      float x = -rng.uniform(0, 0.03f) * unit_;
      while (x < w) {
        Building b{};
        const float bw = unit_ * rng.uniform(0.028f, 0.065f) * (row == 1 ? 1.25f : 1.0f);
        float height = unit_ * rng.uniform(0.07f, 0.24f) * tall * (row == 1 ? 0.75f : 1.0f);
        if (rng.chance(0.12f)) height *= 1.6f;
        b.x0 = static_cast<int>(x);
        b.x1 = static_cast<int>(x + bw);
        b.top = horizon_ - height;
        b.spire_top = rng.chance(0.2f) ? b.top - unit_ * rng.uniform(0.02f, 0.06f) : b.top;
        b.setback = rng.chance(0.3f) ? b.top + height * rng.uniform(0.1f, 0.25f) : b.top;
        b.id = static_cast<std::uint32_t>(rng.next());
        for (int c = std::max(0, b.x0); c < std::min(width_, b.x1); ++c) {
          line.at_column[static_cast<std::size_t>(c)] = static_cast<int>(line.buildings.size());
        }
        line.buildings.push_back(b);
        x += bw + (rng.chance(0.2f) ? unit_ * 0.008f : 0.0f);
      }
      skylines_.push_back(std::move(line));
    }
  }

  // Rolling land below the horizon (none under water), far to near.
  if (land && !water_) {
    const bool street = city && !s[Element::mountains] && !s[Element::forest] &&
                        !s[Element::meadow] && !desert && !snow;
    Lit far{{0.50f, 0.62f, 0.40f}, {0.30f, 0.18f, 0.22f}, {0.04f, 0.055f, 0.08f}};
    Lit near{{0.24f, 0.44f, 0.14f}, {0.09f, 0.05f, 0.07f}, {0.01f, 0.013f, 0.018f}};
    float relief = 2.5f;
    Element kind = Element::meadow;
    if (desert) {
      far = {{0.93f, 0.76f, 0.55f}, {0.90f, 0.55f, 0.40f}, {0.20f, 0.20f, 0.30f}};
      near = {{0.90f, 0.62f, 0.36f}, {0.66f, 0.30f, 0.20f}, {0.08f, 0.07f, 0.12f}};
      relief = 6;
      kind = Element::desert;
    } else if (snow) {
      far = {{0.86f, 0.90f, 0.97f}, {0.95f, 0.78f, 0.78f}, {0.22f, 0.26f, 0.40f}};
      near = {{0.96f, 0.97f, 1.0f}, {0.85f, 0.62f, 0.66f}, {0.12f, 0.14f, 0.24f}};
      relief = 1.5f;
      kind = Element::snow;
    } else if (street) {
      far = {{0.42f, 0.43f, 0.45f}, {0.22f, 0.15f, 0.18f}, {0.03f, 0.03f, 0.05f}};
      near = far;
      relief = 0;
    }
    const int layers = street ? 1 : 3;
    const float depth = h - horizon_;
    for (int k = 0; k < layers; ++k) {
      const float t = layers == 1 ? 1.0f : static_cast<float>(k) / (layers - 1);
      Terrain layer;
      Color c = mix(far[light_], near[light_], t);
      c = element_colour(kind, c, 0.6f);
      layer.top = mix(c, haze_, (light_ == Light::day ? 0.4f : 0.2f) * (1 - t));
      layer.bottom = layer.top * (desert || snow ? 0.88f : 0.72f);
      layer.relief = relief * (0.3f + 0.7f * t);  // distance flattens relief
      layer.grass = kind == Element::meadow && !street;
      static constexpr float base[] = {-0.02f, 0.24f, 0.52f};
      static constexpr float amplitude[] = {0.14f, 0.24f, 0.3f};
      const float amp = street ? 0 : amplitude[k] * depth * (desert ? 1.4f : 1.0f);
      const float freq = lerp(1.8f, 0.9f, t);
      const float off = rng.uniform(0, 1000);
      const std::uint32_t tseed = base_seed + 500 + static_cast<std::uint32_t>(k);
      layer.crest.resize(static_cast<std::size_t>(width_));
      for (int x = 0; x < width_; ++x) {
        const float X = static_cast<float>(x) / unit_;
        float n = fbm(X * freq + off, tseed, 4);
        if (desert) n = 1 - std::abs(2 * n - 1);  // sharp dune crests
        float y = horizon_ + base[k] * depth - amp * (n - 0.5f) * 2.5f;
        if (k == 0) y = std::min(y, horizon_);  // no gap between sky and land
        layer.crest[static_cast<std::size_t>(x)] = y;
      }
      terrain_.push_back(std::move(layer));
    }
    const std::uint32_t gseed = base_seed + 606;
    const float aspect = w / h;
    ground_field_ = Field(width_, height_, std::max(2, height_ / 256),
                          [&](float u, float v) { return fbm(u * aspect * 7, v * 16, gseed, 4); });
  }

  // Forests: conifers on the far shore, or along the crest of each band of land.
  if (s[Element::forest]) {
    static constexpr Lit far{{0.20f, 0.36f, 0.28f}, {0.16f, 0.10f, 0.14f}, {0.02f, 0.035f, 0.045f}};
    static constexpr Lit near{
        {0.07f, 0.22f, 0.11f}, {0.05f, 0.03f, 0.05f}, {0.004f, 0.008f, 0.01f}};
    const auto make_row = [&](int layer, float t, float size, float density,
                              const std::vector<float>* crest) {
      TreeRow row;
      row.terrain = layer;
      row.colour = element_colour(Element::forest, mix(far[light_], near[light_], t), 0.65f);
      row.colour = mix(row.colour, haze_, 0.35f * (1 - t));
      const std::uint32_t fseed = base_seed + 700 + static_cast<std::uint32_t>(layer + 1);
      float x = -unit_ * 0.02f;
      while (x < w + unit_ * 0.02f) {
        const float height = size * unit_ * rng.uniform(0.7f, 1.25f);
        const float cluster = clamp01((fbm(x / unit_ * 6, fseed, 3) - 0.5f) * 2.5f + 0.5f);
        if (cluster > 1 - density) {
          const int column = std::clamp(static_cast<int>(x), 0, width_ - 1);
          const float ground = crest ? (*crest)[static_cast<std::size_t>(column)] : horizon_;
          row.trees.push_back(
              {x, ground + height * 0.04f, height, static_cast<std::uint32_t>(rng.next())});
        }
        x += height * rng.uniform(0.14f, 0.3f);
      }
      tree_rows_.push_back(std::move(row));
    };
    if (water_) {
      make_row(-1, 0.3f, 0.055f, 0.8f, nullptr);
    } else {
      static constexpr float size[] = {0.06f, 0.11f, 0.2f};
      static constexpr float density[] = {0.95f, 0.8f, 0.6f};
      for (std::size_t k = 0; k < terrain_.size() && terrain_.size() > 1; ++k) {
        const float t = static_cast<float>(k) / static_cast<float>(terrain_.size() - 1);
        make_row(static_cast<int>(k), t, size[k], density[k], &terrain_[k].crest);
      }
    }
  }

  if (water_) {
    static constexpr Lit sea{{0.10f, 0.28f, 0.42f}, {0.20f, 0.12f, 0.22f}, {0.01f, 0.025f, 0.06f}};
    water_colour_ = element_colour(Element::water, sea[light_], 0.7f);
  }

  // The subject stands in the foreground, on a knoll when there is no land to stand on.
  if (s[Element::animal]) {
    animal_ = s.animal;
    const bool left = rng.chance(0.5f);
    animal_x_ = w * (left ? rng.uniform(0.24f, 0.36f) : rng.uniform(0.64f, 0.76f));
    animal_faces_left_ = !left;
    animal_length_ = std::min(unit_ * (animal_ == Animal::deer ? 0.22f : 0.26f), w * 0.32f);
    if (terrain_.size() < 2) {
      knoll_ = true;
      knoll_x_ = animal_x_ + (left ? 0.05f : -0.05f) * w;
      knoll_rx_ = w * 0.5f;
      knoll_ry_ = unit_ * 0.28f;
      knoll_y_ = h + unit_ * 0.16f;
      static constexpr Lit ground{
          {0.22f, 0.36f, 0.14f}, {0.10f, 0.06f, 0.08f}, {0.01f, 0.012f, 0.02f}};
      knoll_colour_ = light_ != Light::day ? ground[light_]
                      : desert             ? Color{0.85f, 0.6f, 0.38f}
                      : snow               ? Color{0.9f, 0.93f, 0.98f}
                                           : ground.day;
      const float dx = (animal_x_ - knoll_x_) / knoll_rx_;
      animal_y_ = knoll_y_ - knoll_ry_ * std::sqrt(std::max(0.0f, 1 - dx * dx)) + unit_ * 0.012f;
    } else {
      const float crest = terrain_.back().crest[static_cast<std::size_t>(animal_x_)];
      animal_y_ = std::min(crest + (h - crest) * 0.45f, h - 0.03f * unit_);
    }
    static constexpr Color natural[] = {{0.86f, 0.42f, 0.14f},
                                        {0.22f, 0.22f, 0.25f},
                                        {0.50f, 0.50f, 0.54f},
                                        {0.62f, 0.52f, 0.42f},
                                        {0.55f, 0.36f, 0.20f}};
    const Color body = natural[static_cast<int>(animal_) - 1];
    animal_colour_ = element_colour(Element::animal, body, 0.8f);
    animal_accent_ = {0.95f, 0.93f, 0.90f};
    if (light_ != Light::day) {
      // Against a low sun or the moon, the subject is mostly silhouette.
      const float dark = light_ == Light::sunset ? 0.35f : 0.2f;
      animal_colour_ = animal_colour_ * dark;
      animal_accent_ = animal_colour_;
    }
  }

  if (s[Element::birds]) {
    static constexpr Lit dark{{0.14f, 0.14f, 0.17f}, {0.10f, 0.05f, 0.08f}, {0.02f, 0.02f, 0.03f}};
    bird_colour_ = element_colour(Element::birds, dark[light_], 0.8f);
    const int count = 3 + rng.below(6);
    const float cx = w * rng.uniform(0.25f, 0.75f);
    const float cy = std::min(horizon_, h) * rng.uniform(0.18f, 0.45f);
    for (int i = 0; i < count; ++i) {
      Bird b{};
      b.x = cx + (rng.uniform() + rng.uniform() - 1) * 0.22f * unit_;
      b.y = cy + (rng.uniform() + rng.uniform() - 1) * 0.10f * unit_;
      b.span = unit_ * rng.uniform(0.025f, 0.05f);
      b.lift = rng.uniform(0.15f, 0.6f);
      birds_.push_back(b);
    }
  }
}

void Composer::setup_abstract(Rng& rng) {
  const Scene& s = scene_;
  std::vector<Color> colours = s.palette;
  for (std::size_t e = 0; e < element_count; ++e) {
    colours.insert(colours.end(), s.colours[e].begin(), s.colours[e].end());
  }
  if (colours.empty()) {
    // Scene words still set the mood of an abstract picture.
    if (s[Element::sunset])
      colours.insert(colours.end(), {{0.98f, 0.55f, 0.25f}, {0.85f, 0.3f, 0.45f}});
    if (s[Element::night])
      colours.insert(colours.end(), {{0.08f, 0.1f, 0.3f}, {0.35f, 0.3f, 0.7f}});
    if (s[Element::water]) colours.insert(colours.end(), {{0.1f, 0.4f, 0.7f}, {0.2f, 0.7f, 0.75f}});
    if (s[Element::forest] || s[Element::meadow]) {
      colours.insert(colours.end(), {{0.2f, 0.5f, 0.25f}, {0.6f, 0.75f, 0.3f}});
    }
    if (s[Element::desert]) colours.push_back({0.9f, 0.65f, 0.4f});
    if (s[Element::snow]) colours.push_back({0.85f, 0.9f, 0.98f});
    if (s[Element::city]) colours.insert(colours.end(), {{0.9f, 0.3f, 0.6f}, {0.2f, 0.6f, 0.9f}});
  }
  if (colours.empty()) {
    // Nothing to go on: a harmonious palette from the prompt's hash.
    const float hue = unit(static_cast<std::uint32_t>(s.hash >> 32));
    const float spread = (s.hash & 1) ? 0.08f : 0.33f;  // analogous or triadic
    colours = {hsv(hue, 0.72f, 0.85f), hsv(hue + spread, 0.6f, 0.95f),
               hsv(hue - spread, 0.65f, 0.6f)};
  }
  const Color first = colours.front();
  // Dark to light through the prompt's colours; the light end stays tinted, not white, so that
  // the picture is plainly of those colours.
  stops_ = {first * 0.2f, first * 0.6f, first};
  for (std::size_t i = 1; i < colours.size() && i < 4; ++i) stops_.push_back(colours[i]);
  stops_.push_back(mix(stops_.back(), white, 0.3f));

  float h0 = 0, s0 = 0, v0 = 0;
  to_hsv(first, h0, s0, v0);
  // A neighbouring hue, lighter: an accent that stays in harmony with a one-colour palette.
  accent_ = colours.size() > 1 ? colours.back()
            : s0 < 0.15f       ? mix(first, white, 0.6f)
                               : hsv(h0 + 0.07f, s0 * 0.6f, 0.97f);

  const auto w = static_cast<float>(width_);
  const auto h = static_cast<float>(height_);
  const float aspect = w / h;
  const std::uint32_t aseed = static_cast<std::uint32_t>(rng.next());
  const float scale = rng.uniform(1.6f, 2.8f);
  const float ox = rng.uniform(0, 100);
  const float oy = rng.uniform(0, 100);
  const float warp = rng.uniform(2.5f, 4.5f);
  const int cell = std::max(2, height_ / 192);
  warp_field_ = Field(width_, height_, cell, [&](float u, float v) {
    const float px = u * aspect * scale + ox;
    const float py = v * scale + oy;
    const float qx = fbm(px, py, aseed, 4);
    const float qy = fbm(px + 5.2f, py + 1.3f, aseed + 1, 4);
    return fbm(px + warp * qx, py + warp * qy, aseed + 2, 4);
  });
  detail_field_ = Field(width_, height_, cell, [&](float u, float v) {
    return fbm(u * aspect * scale * 2.3f + oy, v * scale * 2.3f + ox, aseed + 3, 4);
  });
  flow_turn_ = rng.uniform(0, 2 * pi);

  const int discs = 1 + rng.below(3);
  for (int i = 0; i < discs; ++i) {
    Disc d{};
    d.x = w * rng.uniform(0.15f, 0.85f);
    d.y = h * rng.uniform(0.15f, 0.85f);
    d.radius = unit_ * rng.uniform(0.05f, 0.2f);
    d.colour =
        i == 0
            ? accent_
            : stops_[1 + static_cast<std::size_t>(rng.below(static_cast<int>(stops_.size()) - 1))];
    d.ring = rng.chance(0.35f);
    discs_.push_back(d);
  }
}

// --- Background.

void Composer::paint_background(Canvas& canvas, int y0, int y1) const {
  if (abstract_) {
    paint_abstract(canvas, y0, y1);
    return;
  }
  const int sky_end = std::min(y1, static_cast<int>(std::ceil(horizon_)) + 1);
  if (y0 < sky_end) {
    paint_sky(canvas, y0, sky_end);
    paint_stars(canvas, y0, sky_end);
    paint_sun_and_moon(canvas, y0, sky_end);
    if (clouds_) paint_clouds(canvas, y0, sky_end);
    paint_mountains(canvas, y0, sky_end);
    paint_city(canvas, y0, sky_end);
  }
  for (const auto& row : tree_rows_) {
    if (row.terrain < 0) paint_trees(canvas, row, y0, y1);
  }
  for (std::size_t k = 0; k < terrain_.size(); ++k) {
    paint_terrain(canvas, terrain_[k], y0, y1);
    for (const auto& row : tree_rows_) {
      if (row.terrain == static_cast<int>(k)) paint_trees(canvas, row, y0, y1);
    }
  }
  if (water_) paint_water(canvas, y0, y1);
}

Color Composer::sky_colour(float y) const {
  const float t = clamp01(y / std::max(1.0f, horizon_));
  if (t < 0.55f) return mix(sky_top_, sky_mid_, smoothstep(0, 0.55f, t));
  return mix(sky_mid_, sky_bottom_, smoothstep(0.55f, 1, t));
}

void Composer::paint_sky(Canvas& canvas, int y0, int y1) const {
  const bool glow = sun_ || moon_;
  const bool low_sun = sun_ && light_ == Light::sunset;
  const float near_r = low_sun ? 0.07f : 0.05f;
  const float far_r = low_sun ? 0.32f : 0.16f;
  const bool city_glow = !skylines_.empty() && light_ != Light::day;
  for (int y = y0; y < y1; ++y) {
    const float fy = static_cast<float>(y) + 0.5f;
    Color base = sky_colour(fy);
    if (city_glow) {
      // Street light scattered in the air above a city at night.
      base =
          screen(base, Color{0.40f, 0.24f, 0.14f} * falloff((horizon_ - fy) / unit_, 0.1f) * 0.6f);
    }
    float* row = canvas.row(y);
    for (int x = 0; x < width_; ++x) {
      Color c = base;
      const float fx = static_cast<float>(x) + 0.5f;
      if (glow) {
        const float dx = (fx - orb_x_) / unit_;
        // A low sun's glow spreads along the horizon.
        const float dy = (fy - orb_y_) / unit_ * (low_sun ? 1.8f : 1.0f);
        const float d = std::sqrt(dx * dx + dy * dy);
        const float g = 0.6f * falloff(d, near_r) + 0.35f * falloff(d, far_r);
        c = screen(c, glow_colour_ * g);
      }
      if (galaxy_) {
        const float d =
            std::abs((fx - galaxy_x_) * galaxy_nx_ + (fy - galaxy_y_) * galaxy_ny_) / unit_;
        const float n = galaxy_field_.at(fx, fy);
        const float band = falloff(d, 0.09f) * (0.15f + 0.9f * smoothstep(0.35f, 0.75f, n));
        const float core = falloff(d, 0.025f) * smoothstep(0.4f, 0.8f, n) * 0.5f;
        const float dust = 1 - 0.7f * falloff(d - 0.012f, 0.012f) * smoothstep(0.45f, 0.65f, n);
        c = screen(c * dust, galaxy_colour_ * (band * 0.6f) + Color{1, 0.95f, 0.9f} * core);
      }
      row[x * 3] = c.r;
      row[x * 3 + 1] = c.g;
      row[x * 3 + 2] = c.b;
    }
  }
}

void Composer::paint_stars(Canvas& canvas, int y0, int y1) const {
  for (const auto& star : stars_) {
    const float reach = star.radius * 3 + 1;
    const int top = std::max(y0, static_cast<int>(star.y - reach));
    const int bottom = std::min(y1 - 1, static_cast<int>(star.y + reach));
    if (top > bottom) continue;
    // Stars fade into the thicker air near the horizon.
    const float fade = 1 - smoothstep(horizon_ * 0.55f, horizon_, star.y);
    const int left = std::max(0, static_cast<int>(star.x - reach));
    const int right = std::min(width_ - 1, static_cast<int>(star.x + reach));
    for (int y = top; y <= bottom; ++y) {
      for (int x = left; x <= right; ++x) {
        const float dx = static_cast<float>(x) + 0.5f - star.x;
        const float dy = static_cast<float>(y) + 0.5f - star.y;
        const float d2 = dx * dx + dy * dy;
        const float i = star.brightness * fade * star.radius * star.radius /
                        (star.radius * star.radius + d2 * 1.5f);
        canvas.add(x, y, star.colour * (i * (1 - smoothstep(reach * 0.6f, reach, std::sqrt(d2)))));
      }
    }
  }
}

void Composer::paint_sun_and_moon(Canvas& canvas, int y0, int y1) const {
  if (!sun_ && !moon_) return;
  const int top = std::max(y0, static_cast<int>(orb_y_ - orb_radius_ - 2));
  const int bottom = std::min(y1 - 1, static_cast<int>(orb_y_ + orb_radius_ + 2));
  const int left = std::max(0, static_cast<int>(orb_x_ - orb_radius_ - 2));
  const int right = std::min(width_ - 1, static_cast<int>(orb_x_ + orb_radius_ + 2));
  for (int y = top; y <= bottom; ++y) {
    for (int x = left; x <= right; ++x) {
      const float dx = static_cast<float>(x) + 0.5f - orb_x_;
      const float dy = static_cast<float>(y) + 0.5f - orb_y_;
      const float d = std::sqrt(dx * dx + dy * dy);
      const float cover = clamp01(orb_radius_ + 0.5f - d);
      if (cover <= 0) continue;
      Color c = orb_colour_;
      if (moon_) {
        // Maria: darker patches of low-frequency noise.
        const float n =
            value_noise(dx / orb_radius_ * 2.5f + 7, dy / orb_radius_ * 2.5f + 3, seed_ + 17);
        c = c * (0.82f + 0.18f * smoothstep(0.3f, 0.6f, n));
      } else {
        c = mix(c, white, 0.6f * (1 - d / orb_radius_));
      }
      canvas.blend(x, y, c, cover);
    }
  }
}

void Composer::paint_clouds(Canvas& canvas, int y0, int y1) const {
  const float lift = 0.03f * unit_;
  const bool warm = sun_ && light_ == Light::sunset;
  for (int y = y0; y < y1; ++y) {
    const float fy = static_cast<float>(y) + 0.5f;
    // Clouds live in the upper and middle sky and thin out towards the horizon.
    const float band = smoothstep(0, 0.1f * horizon_, fy) *
                       (1 - smoothstep(0.5f * horizon_, 0.97f * horizon_, fy));
    if (band <= 0) continue;
    for (int x = 0; x < width_; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float n = cloud_field_.at(fx, fy);
      const float density = smoothstep(cloud_threshold_, cloud_threshold_ + 0.16f, n) * band;
      if (density <= 0.002f) continue;
      // Lit from above: brighter where the cloud is denser than just above it.
      const float above = cloud_field_.at(fx, fy - lift);
      Color c = mix(cloud_shadow_, cloud_lit_, clamp01(0.55f + (n - above) * 6));
      if (warm) {
        const float dx = (fx - orb_x_) / unit_;
        const float dy = (fy - orb_y_) / unit_;
        c = screen(c, glow_colour_ * (0.7f * falloff(std::sqrt(dx * dx + dy * dy), 0.18f)));
      }
      canvas.blend(x, y, c, density * 0.95f);
    }
  }
}

void Composer::paint_mountains(Canvas& canvas, int y0, int y1) const {
  // Light from the side of the sun or moon (from the left when there is none).
  const float light_side = orb_x_ < static_cast<float>(width_) * 0.5f ? -1.0f : 1.0f;
  const float face_depth = 0.22f * unit_;
  for (std::size_t k = 0; k < ridges_.size(); ++k) {
    const Ridge& ridge = ridges_[k];
    const float mist = 0.45f - 0.15f * static_cast<float>(k);
    for (int y = y0; y < y1; ++y) {
      const float fy = static_cast<float>(y);
      if (fy >= horizon_) break;
      for (int x = 0; x < width_; ++x) {
        const float top = ridge.top[static_cast<std::size_t>(x)];
        const float cover = clamp01(fy + 1 - top);
        if (cover <= 0) continue;
        const float fx = static_cast<float>(x) + 0.5f;
        const float n = rock_field_.at(fx, fy);
        // The face under the ridge, followed down the slope with a wander that grows with depth,
        // so that light and shadow split along gullies rather than straight down.
        const float depth = fy - top;
        const float wander = (n - 0.5f) * depth * 1.6f;
        const auto col =
            static_cast<std::size_t>(std::clamp(static_cast<int>(fx + wander), 0, width_ - 1));
        const float face = ridge.face[col] * (1 - smoothstep(0, face_depth, depth) * 0.6f);
        const float shade = 1 + 0.32f * face * light_side;
        Color c = ridge.colour;
        const float snowy =
            smoothstep(1.5f, -1.5f, fy - ridge.snow_line - (n - 0.5f) * 0.05f * unit_);
        if (snowy > 0) c = mix(c, snow_colour_, snowy);
        c = c * (shade * (0.94f + 0.12f * n));
        c = mix(c, haze_, mist * smoothstep(top, horizon_, fy));
        canvas.blend(x, y, c, cover);
      }
    }
  }
}

void Composer::paint_city(Canvas& canvas, int y0, int y1) const {
  const float cell_w = std::max(3.0f, unit_ * 0.009f);
  const float cell_h = cell_w * 1.45f;
  for (std::size_t r = 0; r < skylines_.size(); ++r) {
    const Skyline& line = skylines_[r];
    const float mist = r == 0 ? 0.35f : 0.12f;
    for (int y = y0; y < y1; ++y) {
      const float fy = static_cast<float>(y) + 0.5f;
      if (fy >= horizon_ + 0.5f) break;
      for (int x = 0; x < width_; ++x) {
        const int index = line.at_column[static_cast<std::size_t>(x)];
        if (index < 0) continue;
        const Building& b = line.buildings[static_cast<std::size_t>(index)];
        const float fx = static_cast<float>(x) + 0.5f;
        const float centre = 0.5f * static_cast<float>(b.x0 + b.x1);
        const float half = 0.5f * static_cast<float>(b.x1 - b.x0);
        const bool spire =
            fy >= b.spire_top && std::abs(fx - centre) < std::max(1.0f, unit_ * 0.002f);
        const bool body = fy >= b.top && (fy >= b.setback || std::abs(fx - centre) < half * 0.72f);
        if (!spire && !body) continue;
        Color c = line.body * (0.85f + 0.15f * clamp01((horizon_ - fy) / (horizon_ - b.top + 1)));
        if (body && fy >= b.setback + cell_h * 0.5f) {
          const float lx = fx - static_cast<float>(b.x0) - cell_w * 0.6f;
          const float ly = fy - b.setback - cell_h * 0.5f;
          const float right_margin = static_cast<float>(b.x1) - fx;
          if (lx >= 0 && right_margin > cell_w * 0.5f) {
            const auto cx = static_cast<std::int32_t>(lx / cell_w);
            const auto cy = static_cast<std::int32_t>(ly / cell_h);
            const float wx = lx - static_cast<float>(cx) * cell_w;
            const float wy = ly - static_cast<float>(cy) * cell_h;
            if (wx < cell_w * 0.55f && wy < cell_h * 0.55f) {
              const std::uint32_t hsh = hash2(cx, cy, b.id);
              if (unit(hsh) < line.lit_fraction) {
                c = window_colour_ * (0.55f + 0.45f * unit(hsh * 2654435761u));
                if (neon_) {
                  // Signs rather than windows: magenta, cyan or violet, one per building.
                  static constexpr float hues[] = {0.88f, 0.52f, 0.76f};
                  c = hsv(hues[b.id % 3], 0.8f, 1.0f);
                }
              } else if (!neon_) {
                c = light_ == Light::day ? mix(c, window_colour_, 0.35f) : c * 1.3f;
              }
            }
          }
        }
        c = mix(c, haze_, mist * smoothstep(horizon_ - 0.15f * unit_, horizon_, fy));
        canvas.set(x, y, c);
      }
    }
  }
}

void Composer::paint_terrain(Canvas& canvas, const Terrain& layer, int y0, int y1) const {
  const bool rim_light = sun_ && light_ == Light::sunset;
  const float rim_width = 0.012f * unit_;
  const float light_side = orb_x_ < static_cast<float>(width_) * 0.5f ? 1.0f : -1.0f;
  for (int y = y0; y < y1; ++y) {
    const float fy = static_cast<float>(y);
    for (int x = 0; x < width_; ++x) {
      const auto i = static_cast<std::size_t>(x);
      const float crest = layer.crest[i];
      const float cover = clamp01(fy + 1 - crest);
      if (cover <= 0) continue;
      const float depth = fy - crest;
      const float n = ground_field_.at(static_cast<float>(x) + 0.5f, fy + 0.5f);
      // Slopes under the crest face the light or away from it; the effect fades with depth and
      // wanders, as the folds of real land do.
      const auto col = static_cast<std::size_t>(std::clamp(
          static_cast<int>(static_cast<float>(x) + (n - 0.5f) * depth * 1.5f), 0, width_ - 1));
      const float slope = layer.crest[std::min(col + 2, layer.crest.size() - 1)] -
                          layer.crest[col >= 2 ? col - 2 : 0];
      const float fade = 1 - smoothstep(0, 0.12f * unit_, depth);
      const float shade =
          1 + std::clamp(slope * light_side * layer.relief * 0.25f, -0.35f, 0.35f) * fade;
      Color c = mix(layer.top, layer.bottom, smoothstep(0, 0.2f * unit_, depth));
      if (rim_light) {
        // A low sun catches the crest of each fold of land.
        c = screen(c, glow_colour_ * (0.35f * (1 - smoothstep(0, rim_width, depth))));
      }
      const float grain = unit(hash2(x, y, seed_ + 53)) - 0.5f;
      // Blades of grass: short vertical streaks, visible only close by.
      const float blades = layer.grass ? (unit(hash2(x, y / 5 + x * 7, seed_ + 59)) - 0.5f) *
                                             smoothstep(0, 0.3f * unit_, fy - horizon_) * 0.14f
                                       : 0.0f;
      c = c * (shade * (0.88f + 0.24f * n + 0.05f * grain + blades));
      canvas.blend(x, y, c, cover);
    }
  }
}

void Composer::paint_trees(Canvas& canvas, const TreeRow& row, int y0, int y1) const {
  const bool snow = scene_[Element::snow];
  const float light_side = orb_x_ < static_cast<float>(width_) * 0.5f ? -1.0f : 1.0f;
  for (const Tree& tree : row.trees) {
    const int top = std::max(y0, static_cast<int>(tree.base - tree.height));
    const int bottom = std::min(y1 - 1, static_cast<int>(tree.base));
    if (top > bottom) continue;
    const float half = tree.height * 0.3f;
    const int left = std::max(0, static_cast<int>(tree.x - half - 1));
    const int right = std::min(width_ - 1, static_cast<int>(tree.x + half + 1));
    const float tiers = 4 + static_cast<float>(tree.id % 3);
    for (int y = top; y <= bottom; ++y) {
      const float t = (tree.base - (static_cast<float>(y) + 0.5f)) / tree.height;
      if (t < 0 || t > 1) continue;
      for (int x = left; x <= right; ++x) {
        const float dx = static_cast<float>(x) + 0.5f - tree.x;
        Color c = row.colour;
        float cover = 0;
        if (t < 0.1f) {
          cover = clamp01(tree.height * 0.03f - std::abs(dx) + 0.5f);
          c = row.colour * 0.7f + Color{0.05f, 0.03f, 0.01f};
        }
        const float s = (t - 0.07f) / 0.93f;
        if (s >= 0) {
          const float tier = s * tiers - std::floor(s * tiers);
          const float width = tree.height * (0.26f * (1 - s) * (1 - 0.45f * tier) + 0.012f);
          const float foliage = clamp01(width - std::abs(dx) + 0.5f);
          if (foliage > cover) {
            cover = foliage;
            c = row.colour * (dx * light_side > 0 ? 1.18f : 0.9f);
            if (snow && tier < 0.3f) c = mix(c, snow_colour_, 0.6f);
          }
        }
        if (cover > 0) canvas.blend(x, y, c, cover);
      }
    }
  }
}

void Composer::paint_water(Canvas& canvas, int y0, int y1) const {
  const int start = std::max(y0, static_cast<int>(std::floor(horizon_)));
  const float h = static_cast<float>(height_);
  const float centre = static_cast<float>(width_) * 0.5f;
  const bool glitter = sun_ || moon_;
  const Color water_far = mix(water_colour_, sky_bottom_, 0.35f);
  for (int y = start; y < y1; ++y) {
    const float fy = static_cast<float>(y) + 0.5f;
    const float dv = std::max(0.0f, fy - horizon_) / unit_;
    // Perspective: a row dv below the horizon sees the water plane at depth 1 / dv.
    const float depth = 1 / (dv + 0.004f);
    const float amp = unit_ * (0.0015f + dv * 0.05f);
    const float fresnel = 0.6f - 0.45f * smoothstep(0, 0.25f, dv);
    const float mirror = std::clamp(2 * horizon_ - fy, 0.5f, std::max(0.5f, horizon_ - 0.5f));
    const float near_fill = smoothstep(0, (h - horizon_) / unit_, dv);
    for (int x = 0; x < width_; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float wx = (fx - centre) / unit_ * depth;
      const float wave = value_noise(wx * 0.5f, depth * 3.0f, seed_ + 31) - 0.5f;
      const float ripple = value_noise(wx * 2.0f, depth * 14.0f, seed_ + 37);
      const Color reflected = canvas.sample(fx + wave * amp * 2, mirror + wave * amp * 0.5f);
      Color c = mix(water_far, reflected * 0.85f, fresnel);
      c = mix(c, water_colour_, 0.5f * near_fill);
      // Wave faces tilted towards the sky are lighter, troughs darker.
      c = c * (0.86f + 0.14f * wave * 2 + 0.16f * ripple);
      if (glitter) {
        const float reach = orb_radius_ * (1.2f + dv * 10);
        const float column = falloff(fx - orb_x_, reach);
        c = c + orb_colour_ * (column * smoothstep(0.55f, 0.85f, ripple) * 0.8f);
      }
      canvas.set(x, y, c);
    }
  }
}

void Composer::paint_abstract(Canvas& canvas, int y0, int y1) const {
  const float e = std::max(1.5f, unit_ / 300);
  for (int y = y0; y < y1; ++y) {
    const float fy = static_cast<float>(y) + 0.5f;
    for (int x = 0; x < width_; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float t = warp_field_.at(fx, fy);
      const float s = detail_field_.at(fx, fy);
      Color c = gradient(stops_, smoothstep(0.22f, 0.78f, t));
      // Relief: light from the upper left across the warped field.
      const float relief = warp_field_.at(fx - e, fy - e) - warp_field_.at(fx + e, fy + e);
      c = c * (1 + std::clamp(relief * 8, -0.18f, 0.18f));
      c = mix(c, accent_, smoothstep(0.64f, 0.8f, s) * 0.65f);
      canvas.set(x, y, c);
    }
  }
}

// --- Foreground.

void Composer::paint_foreground(Canvas& canvas) const {
  if (abstract_) {
    paint_discs(canvas);
    paint_flow_lines(canvas);
    return;
  }
  if (knoll_) paint_knoll(canvas);
  if (animal_ != Animal::none) paint_animal(canvas);
  if (!birds_.empty()) paint_birds(canvas);
}

void Composer::paint_knoll(Canvas& canvas) const {
  const int top = std::max(0, static_cast<int>(knoll_y_ - knoll_ry_ - 1));
  for (int y = top; y < height_; ++y) {
    const float fy = static_cast<float>(y) + 0.5f;
    const float dy = (fy - knoll_y_) / knoll_ry_;
    for (int x = 0; x < width_; ++x) {
      const float fx = static_cast<float>(x) + 0.5f;
      const float dx = (fx - knoll_x_) / knoll_rx_;
      const float k = std::sqrt(dx * dx + dy * dy);
      const float cover = clamp01((1 - k) * knoll_ry_ + 0.5f);
      if (cover <= 0) continue;
      const float grain = unit(hash2(x, y, seed_ + 91)) - 0.5f;
      const Color c = knoll_colour_ * (0.8f + 0.25f * (1 - k) * 4 + 0.06f * grain);
      canvas.blend(x, y, c, cover);
    }
  }
}

void Composer::paint_animal(Canvas& canvas) const {
  const auto& parts = parts_of(animal_);
  const float L = animal_length_;
  const float flip = animal_faces_left_ ? -1.0f : 1.0f;
  const int left = std::max(0, static_cast<int>(animal_x_ - 0.85f * L));
  const int right = std::min(width_ - 1, static_cast<int>(animal_x_ + 0.85f * L));
  const int top = std::max(0, static_cast<int>(animal_y_ - 1.25f * L));
  const int bottom = std::min(height_ - 1, static_cast<int>(animal_y_ + 2));
  // Rim light from the sun or moon side.
  const float rim_dx = (orb_x_ < animal_x_ ? -1.0f : 1.0f) * flip * 0.012f;
  const bool rim = light_ != Light::day && (sun_ || moon_);
  const Color rim_colour = mix(orb_colour_, glow_colour_, 0.4f);
  for (int y = top; y <= bottom; ++y) {
    const float ly = (animal_y_ - (static_cast<float>(y) + 0.5f)) / L;
    for (int x = left; x <= right; ++x) {
      const float lx = (static_cast<float>(x) + 0.5f - animal_x_) / L * flip;
      float body = 0;
      float accent = 0;
      sd_animal(parts, lx, ly, body, accent);
      const float cover = clamp01(0.5f - body * L);
      if (cover <= 0) continue;
      Color c = mix(animal_colour_, animal_accent_, clamp01(0.5f - accent * L));
      // Soft form shading: lighter on the back, darker underneath.
      c = c * (0.82f + 0.3f * clamp01((ly - 0.1f) / 0.6f));
      if (rim) {
        float outside = 0;
        float unused = 0;
        sd_animal(parts, lx + rim_dx, ly + 0.006f, outside, unused);
        c = mix(c, rim_colour, 0.75f * clamp01(outside * L + 0.5f));
      }
      canvas.blend(x, y, c, cover);
    }
  }
}

void Composer::paint_birds(Canvas& canvas) const {
  for (const Bird& b : birds_) {
    const float half = b.span * 0.5f;
    const int left = std::max(0, static_cast<int>(b.x - half - 2));
    const int right = std::min(width_ - 1, static_cast<int>(b.x + half + 2));
    const int top = std::max(0, static_cast<int>(b.y - half * b.lift - 2));
    const int bottom = std::min(height_ - 1, static_cast<int>(b.y + half * 0.2f + 2));
    for (int y = top; y <= bottom; ++y) {
      for (int x = left; x <= right; ++x) {
        const float px = std::abs(static_cast<float>(x) + 0.5f - b.x) / half;
        const float py = (b.y - (static_cast<float>(y) + 0.5f)) / half;
        // Each wing: up from the body to the wrist, then down to the tip.
        const float d = std::min(sd_capsule(px, py, 0, 0, 0.45f, b.lift, 0.07f),
                                 sd_capsule(px, py, 0.45f, b.lift, 1.0f, b.lift * 0.3f, 0.04f));
        const float cover = clamp01(0.5f - d * half);
        if (cover > 0) canvas.blend(x, y, bird_colour_, cover);
      }
    }
  }
}

void Composer::paint_discs(Canvas& canvas) const {
  for (const Disc& d : discs_) {
    const float shadow_dx = 0.012f * unit_;
    const float shadow_dy = 0.02f * unit_;
    const float soft = 0.025f * unit_;
    const float reach = d.radius + soft + shadow_dy + 2;
    const int left = std::max(0, static_cast<int>(d.x - reach));
    const int right = std::min(width_ - 1, static_cast<int>(d.x + reach));
    const int top = std::max(0, static_cast<int>(d.y - reach));
    const int bottom = std::min(height_ - 1, static_cast<int>(d.y + reach));
    const float thickness = 0.008f * unit_;
    for (int y = top; y <= bottom; ++y) {
      for (int x = left; x <= right; ++x) {
        const float fx = static_cast<float>(x) + 0.5f - d.x;
        const float fy = static_cast<float>(y) + 0.5f - d.y;
        const float dist = std::sqrt(fx * fx + fy * fy);
        const float sx = fx - shadow_dx;
        const float sy = fy - shadow_dy;
        const float sdist = std::sqrt(sx * sx + sy * sy);
        const float edge = d.ring ? std::abs(sdist - d.radius) - thickness : sdist - d.radius;
        const float shadow = 1 - smoothstep(-soft, soft, edge);
        if (shadow > 0) canvas.blend(x, y, {0, 0, 0}, shadow * 0.28f);
        const float own = d.ring ? std::abs(dist - d.radius) - thickness : dist - d.radius;
        const float cover = clamp01(0.5f - own);
        if (cover <= 0) continue;
        // Lit from the upper left.
        const float light = clamp01(0.5f - (fx + fy) / (2.8f * d.radius));
        canvas.blend(x, y, mix(d.colour * 0.85f, mix(d.colour, white, 0.35f), light), cover);
      }
    }
  }
}

void Composer::paint_flow_lines(Canvas& canvas) const {
  Rng rng(splitmix64(scene_.hash + seed_ + 77));
  const auto w = static_cast<float>(width_);
  const auto h = static_cast<float>(height_);
  const int lines = static_cast<int>(260 * w * h / (512.0f * 512.0f));
  constexpr int steps = 70;
  const float step = unit_ * 0.004f;
  const float radius = std::max(0.7f, unit_ * 0.0016f);
  for (int i = 0; i < lines; ++i) {
    float x = rng.uniform(0, w);
    float y = rng.uniform(0, h);
    const Color c = mix(stops_.back(), white, 0.5f);
    for (int k = 0; k < steps; ++k) {
      const float angle = warp_field_.at(x, y) * 4 * pi + flow_turn_;
      x += cosine(angle) * step;
      y += sine(angle) * step;
      if (x < 0 || y < 0 || x >= w || y >= h) break;
      const float alpha = 0.3f * sine(pi * static_cast<float>(k) / steps);
      const int x0 = std::max(0, static_cast<int>(x - radius - 1));
      const int x1 = std::min(width_ - 1, static_cast<int>(x + radius + 1));
      const int ya = std::max(0, static_cast<int>(y - radius - 1));
      const int yb = std::min(height_ - 1, static_cast<int>(y + radius + 1));
      for (int py = ya; py <= yb; ++py) {
        for (int px = x0; px <= x1; ++px) {
          const float dx = static_cast<float>(px) + 0.5f - x;
          const float dy = static_cast<float>(py) + 0.5f - y;
          const float cover = clamp01(radius + 0.5f - std::sqrt(dx * dx + dy * dy));
          if (cover > 0) canvas.blend(px, py, c, cover * alpha);
        }
      }
    }
  }
}

}  // namespace rendermart::procedural
