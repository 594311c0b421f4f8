#pragma once

// Draws a Scene: a landscape of layers painted back to front (sky, sun or moon, stars, clouds,
// mountains, city, rolling land with trees, water reflecting what stands above it), a subject, or
// for abstract prompts a domain-warped noise field with flow lines and discs. Everything random
// comes from the seed and the prompt's hash, so the same request draws the same picture.

#include <cstdint>
#include <string>
#include <vector>

#include "providers/procedural/paint.hpp"
#include "providers/procedural/scene.hpp"

namespace rendermart::procedural {

enum class Light { day, sunset, night };

class Composer {
 public:
  // Keeps a reference to `scene`, which must outlive the Composer. `style` adapts the drawing to
  // the medium, as a painter would (a neon city has few, coloured windows, so that its outlines
  // carry the picture).
  Composer(const Scene& scene, const std::string& style, std::uint32_t seed, int width, int height);

  // Everything far away, for rows [y0, y1). Rows must be painted top to bottom: water reflects the
  // finished rows above the horizon.
  void paint_background(Canvas& canvas, int y0, int y1) const;
  // The subject, birds and abstract strokes, once the whole background is painted (they are not
  // reflected in water: they stand in front of it).
  void paint_foreground(Canvas& canvas) const;

 private:
  struct Star {
    float x, y, radius, brightness;
    Color colour;
  };
  struct Ridge {              // one mountain range
    std::vector<float> top;   // y of the ridge line, per column
    std::vector<float> face;  // -1..1 per column: which way the slope under the ridge faces
    Color colour;
    float snow_line;  // y above which (smaller y) peaks are snow-capped
  };
  struct Building {
    int x0, x1;
    float top;
    float spire_top;  // < top when the building has an antenna
    float setback;    // y below which the building is full width; above it, inset
    std::uint32_t id;
  };
  struct Skyline {
    std::vector<Building> buildings;
    std::vector<int> at_column;  // index into buildings
    Color body;
    float lit_fraction;
  };
  struct Terrain {             // a band of rolling land
    std::vector<float> crest;  // y per column
    Color top;
    Color bottom;
    float relief;  // how strongly slopes are shaded
    bool grass;
  };
  struct Tree {
    float x, base, height;
    std::uint32_t id;
  };
  struct TreeRow {
    std::vector<Tree> trees;
    Color colour;
    int terrain;  // drawn right after this terrain layer; -1: on the horizon, before the water
  };
  struct Bird {
    float x, y, span, lift;
  };
  struct Disc {
    float x, y, radius;
    Color colour;
    bool ring;
  };

  void setup_landscape(Rng& rng);
  void setup_abstract(Rng& rng);

  void paint_sky(Canvas& canvas, int y0, int y1) const;
  void paint_stars(Canvas& canvas, int y0, int y1) const;
  void paint_sun_and_moon(Canvas& canvas, int y0, int y1) const;
  void paint_clouds(Canvas& canvas, int y0, int y1) const;
  void paint_mountains(Canvas& canvas, int y0, int y1) const;
  void paint_city(Canvas& canvas, int y0, int y1) const;
  void paint_terrain(Canvas& canvas, const Terrain& layer, int y0, int y1) const;
  void paint_trees(Canvas& canvas, const TreeRow& row, int y0, int y1) const;
  void paint_water(Canvas& canvas, int y0, int y1) const;
  void paint_abstract(Canvas& canvas, int y0, int y1) const;
  void paint_knoll(Canvas& canvas) const;
  void paint_animal(Canvas& canvas) const;
  void paint_birds(Canvas& canvas) const;
  void paint_flow_lines(Canvas& canvas) const;
  void paint_discs(Canvas& canvas) const;

  Color sky_colour(float y) const;
  Color element_colour(Element e, Color natural, float weight) const;

  const Scene& scene_;
  std::uint32_t seed_;
  int width_;
  int height_;
  float unit_;  // image height in pixels: the length scale of every shape
  Light light_ = Light::day;
  bool abstract_ = false;
  bool neon_ = false;

  float horizon_ = 0;  // y in pixels; height_ when there is no land
  Color sky_top_, sky_mid_, sky_bottom_;
  Color haze_;  // the colour distance fades to

  bool sun_ = false;
  bool moon_ = false;
  float orb_x_ = 0, orb_y_ = 0, orb_radius_ = 0;
  Color orb_colour_, glow_colour_;

  std::vector<Star> stars_;
  bool galaxy_ = false;
  Field galaxy_field_;
  float galaxy_x_ = 0, galaxy_y_ = 0, galaxy_nx_ = 0, galaxy_ny_ = 0;
  Color galaxy_colour_;

  bool clouds_ = false;
  Field cloud_field_;
  float cloud_threshold_ = 0.5f;
  Color cloud_lit_, cloud_shadow_;

  std::vector<Ridge> ridges_;
  Field rock_field_;
  Color snow_colour_;

  std::vector<Skyline> skylines_;
  Color window_colour_;

  std::vector<Terrain> terrain_;
  Field ground_field_;
  std::vector<TreeRow> tree_rows_;

  bool water_ = false;
  Color water_colour_;

  bool knoll_ = false;
  float knoll_x_ = 0, knoll_y_ = 0, knoll_rx_ = 0, knoll_ry_ = 0;
  Color knoll_colour_;

  Animal animal_ = Animal::none;
  float animal_x_ = 0, animal_y_ = 0, animal_length_ = 0;
  bool animal_faces_left_ = false;
  Color animal_colour_, animal_accent_;

  std::vector<Bird> birds_;
  Color bird_colour_;

  std::vector<Color> stops_;  // abstract: the gradient the noise field maps through
  Color accent_;
  Field warp_field_, detail_field_;
  std::vector<Disc> discs_;
  float flow_turn_ = 0;
};

}  // namespace rendermart::procedural
