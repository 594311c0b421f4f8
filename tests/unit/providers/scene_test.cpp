#include "providers/procedural/scene.hpp"

#include <gtest/gtest.h>

namespace rendermart::procedural {
namespace {

TEST(Scene, ReadsSceneWords) {
  const Scene s = read_scene("A red fox at sunset over the Mountains", "");
  EXPECT_TRUE(s[Element::sunset]);
  EXPECT_TRUE(s[Element::sun]);
  EXPECT_TRUE(s[Element::mountains]);
  EXPECT_TRUE(s[Element::animal]);
  EXPECT_EQ(s.animal, Animal::fox);
  EXPECT_FALSE(s[Element::abstract]);
}

TEST(Scene, AColourBeforeAnElementColoursThatElement) {
  const Scene s = read_scene("a calm blue sea, pink and gold sunset, green", "");
  ASSERT_EQ(s.colours_of(Element::water).size(), 1u);
  EXPECT_EQ(s.colours_of(Element::sunset).size(), 2u);
  EXPECT_EQ(s.palette.size(), 1u);  // "green" describes nothing
}

TEST(Scene, NightBringsMoonAndStars) {
  const Scene s = read_scene("city at night", "");
  EXPECT_TRUE(s[Element::night]);
  EXPECT_TRUE(s[Element::moon]);
  EXPECT_TRUE(s[Element::stars]);
  EXPECT_FALSE(read_scene("city at night", "moon")[Element::moon]);
}

TEST(Scene, NegativePromptRemovesElementsAndColours) {
  const Scene s = read_scene("a red and blue fox by the sea", "fox, sea, red");
  EXPECT_FALSE(s[Element::water]);
  EXPECT_FALSE(s[Element::animal]);
  EXPECT_EQ(s.animal, Animal::none);
  EXPECT_EQ(s.excluded.size(), 1u);
  EXPECT_EQ(s.palette.size() + s.colours_of(Element::animal).size(), 1u);  // blue only
}

TEST(Scene, WithoutSceneWordsItIsAbstract) {
  EXPECT_TRUE(read_scene("qwerty", "")[Element::abstract]);
  EXPECT_TRUE(read_scene("\xE6\x9D\xB1\xE4\xBA\xAC", "")[Element::abstract]);
  const Scene negated = read_scene("abstract", "abstract");
  EXPECT_FALSE(negated[Element::abstract]);
  EXPECT_TRUE(negated[Element::hills]);
}

TEST(Scene, StyleWordsAreNoted) {
  EXPECT_EQ(read_scene("neon city", "").implied_style, "neon");
  EXPECT_EQ(read_scene("a low-poly fox", "").implied_style, "low-poly");
  EXPECT_EQ(read_scene("a fox", "").implied_style, "");
}

}  // namespace
}  // namespace rendermart::procedural
