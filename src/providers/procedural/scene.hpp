#pragma once

// What a prompt asks for, in the generator's vocabulary: which layers to draw, with which colours.
// The procedural generator understands words, not sentences: it looks for scene words (sunset,
// mountains, sea, city, ...), colour words, animal words and style words; a colour word directly
// before a scene word ("blue sea", "pink and gold sunset") colours that element, any other colour
// word colours the whole picture.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "providers/procedural/paint.hpp"

namespace rendermart::procedural {

enum class Element {
  sky,
  sunset,  // sunset, sunrise, dusk, dawn: warm sky and a low sun
  night,   // dark sky and a moon
  sun,
  moon,
  stars,
  galaxy,
  clouds,
  mountains,
  water,
  forest,
  city,
  desert,
  snow,
  meadow,
  hills,
  abstract,
  animal,  // the subject's body
  birds,
  count_
};

constexpr std::size_t element_count = static_cast<std::size_t>(Element::count_);

enum class Animal { none, fox, cat, wolf, rabbit, deer };

struct Scene {
  std::array<bool, element_count> has{};
  std::array<bool, element_count> removed{};  // named in the negative prompt: never drawn
  // Colours a prompt gives one element ("red fox"); empty: the element's natural colours.
  std::array<std::vector<Color>, element_count> colours;
  std::vector<Color> palette;   // colour words not tied to an element, in prompt order
  std::vector<Color> excluded;  // colour words of the negative prompt
  Animal animal = Animal::none;
  std::string implied_style;  // a style word in the prompt ("neon city"), used when none is set
  std::uint64_t hash = 0;     // of the prompt: varies what the words leave open

  bool operator[](Element e) const { return has[static_cast<std::size_t>(e)]; }
  bool& operator[](Element e) { return has[static_cast<std::size_t>(e)]; }
  bool is_removed(Element e) const { return removed[static_cast<std::size_t>(e)]; }
  const std::vector<Color>& colours_of(Element e) const {
    return colours[static_cast<std::size_t>(e)];
  }
};

// Reads the prompt and the negative prompt. Words of the negative prompt remove elements and
// colours; when the prompt names no scene at all, the scene is abstract.
Scene read_scene(const std::string& prompt, const std::string& negative_prompt);

}  // namespace rendermart::procedural
