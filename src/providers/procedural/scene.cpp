#include "providers/procedural/scene.hpp"

#include <cctype>
#include <string_view>
#include <utility>

namespace rendermart::procedural {

namespace {

struct NamedColour {
  std::string_view word;
  Color colour;
};

constexpr NamedColour named_colours[] = {
    {"red", rgb8(214, 38, 38)},      {"crimson", rgb8(190, 20, 50)},
    {"scarlet", rgb8(230, 40, 30)},  {"maroon", rgb8(120, 25, 35)},
    {"orange", rgb8(245, 130, 30)},  {"amber", rgb8(245, 165, 30)},
    {"gold", rgb8(240, 190, 60)},    {"golden", rgb8(240, 190, 60)},
    {"yellow", rgb8(250, 220, 60)},  {"lime", rgb8(160, 220, 50)},
    {"green", rgb8(50, 160, 70)},    {"emerald", rgb8(30, 150, 100)},
    {"olive", rgb8(120, 130, 50)},   {"teal", rgb8(20, 140, 140)},
    {"cyan", rgb8(40, 200, 220)},    {"turquoise", rgb8(50, 210, 190)},
    {"aqua", rgb8(60, 210, 220)},    {"blue", rgb8(40, 90, 215)},
    {"azure", rgb8(60, 140, 235)},   {"navy", rgb8(20, 35, 100)},
    {"indigo", rgb8(70, 40, 150)},   {"purple", rgb8(140, 60, 190)},
    {"violet", rgb8(150, 80, 220)},  {"lavender", rgb8(180, 150, 230)},
    {"magenta", rgb8(220, 40, 180)}, {"pink", rgb8(245, 130, 180)},
    {"rose", rgb8(240, 110, 140)},   {"white", rgb8(245, 245, 245)},
    {"silver", rgb8(190, 195, 205)}, {"grey", rgb8(128, 128, 132)},
    {"gray", rgb8(128, 128, 132)},   {"black", rgb8(14, 14, 18)},
    {"brown", rgb8(120, 75, 40)},    {"beige", rgb8(220, 200, 160)},
    {"cream", rgb8(245, 235, 205)},  {"copper", rgb8(190, 110, 60)},
};

struct ElementWord {
  std::string_view word;
  Element element;
};

constexpr ElementWord element_words[] = {
    {"sky", Element::sky},
    {"day", Element::sky},
    {"noon", Element::sky},
    {"morning", Element::sky},
    {"sunny", Element::sun},
    {"sun", Element::sun},
    {"sunshine", Element::sun},
    {"sunset", Element::sunset},
    {"sunrise", Element::sunset},
    {"dusk", Element::sunset},
    {"dawn", Element::sunset},
    {"twilight", Element::sunset},
    {"evening", Element::sunset},
    {"night", Element::night},
    {"midnight", Element::night},
    {"nighttime", Element::night},
    {"moon", Element::moon},
    {"moonlight", Element::moon},
    {"moonlit", Element::moon},
    {"star", Element::stars},
    {"stars", Element::stars},
    {"starry", Element::stars},
    {"galaxy", Element::galaxy},
    {"nebula", Element::galaxy},
    {"cosmos", Element::galaxy},
    {"space", Element::galaxy},
    {"milky", Element::galaxy},
    {"cloud", Element::clouds},
    {"clouds", Element::clouds},
    {"cloudy", Element::clouds},
    {"overcast", Element::clouds},
    {"storm", Element::clouds},
    {"stormy", Element::clouds},
    {"mountain", Element::mountains},
    {"mountains", Element::mountains},
    {"peak", Element::mountains},
    {"peaks", Element::mountains},
    {"alps", Element::mountains},
    {"volcano", Element::mountains},
    {"valley", Element::mountains},
    {"ridge", Element::mountains},
    {"cliffs", Element::mountains},
    {"hill", Element::hills},
    {"hills", Element::hills},
    {"sea", Element::water},
    {"ocean", Element::water},
    {"lake", Element::water},
    {"water", Element::water},
    {"river", Element::water},
    {"bay", Element::water},
    {"coast", Element::water},
    {"beach", Element::water},
    {"harbor", Element::water},
    {"harbour", Element::water},
    {"pond", Element::water},
    {"waves", Element::water},
    {"seascape", Element::water},
    {"forest", Element::forest},
    {"forests", Element::forest},
    {"tree", Element::forest},
    {"trees", Element::forest},
    {"woods", Element::forest},
    {"woodland", Element::forest},
    {"pine", Element::forest},
    {"pines", Element::forest},
    {"jungle", Element::forest},
    {"taiga", Element::forest},
    {"city", Element::city},
    {"skyline", Element::city},
    {"town", Element::city},
    {"buildings", Element::city},
    {"building", Element::city},
    {"skyscraper", Element::city},
    {"skyscrapers", Element::city},
    {"downtown", Element::city},
    {"metropolis", Element::city},
    {"cyberpunk", Element::city},
    {"urban", Element::city},
    {"desert", Element::desert},
    {"dune", Element::desert},
    {"dunes", Element::desert},
    {"sand", Element::desert},
    {"sahara", Element::desert},
    {"snow", Element::snow},
    {"snowy", Element::snow},
    {"winter", Element::snow},
    {"ice", Element::snow},
    {"icy", Element::snow},
    {"frozen", Element::snow},
    {"glacier", Element::snow},
    {"arctic", Element::snow},
    {"meadow", Element::meadow},
    {"field", Element::meadow},
    {"fields", Element::meadow},
    {"grass", Element::meadow},
    {"grassland", Element::meadow},
    {"prairie", Element::meadow},
    {"landscape", Element::meadow},
    {"countryside", Element::meadow},
    {"abstract", Element::abstract},
    {"pattern", Element::abstract},
    {"patterns", Element::abstract},
    {"fractal", Element::abstract},
    {"shapes", Element::abstract},
    {"swirl", Element::abstract},
    {"swirls", Element::abstract},
    {"geometric", Element::abstract},
    {"psychedelic", Element::abstract},
    {"bird", Element::birds},
    {"birds", Element::birds},
    {"eagle", Element::birds},
    {"seagull", Element::birds},
    {"seagulls", Element::birds},
    {"gull", Element::birds},
    {"gulls", Element::birds},
    {"crow", Element::birds},
    {"crows", Element::birds},
    {"flock", Element::birds},
};

struct AnimalWord {
  std::string_view word;
  Animal animal;
};

constexpr AnimalWord animal_words[] = {
    {"fox", Animal::fox},     {"foxes", Animal::fox},     {"cat", Animal::cat},
    {"cats", Animal::cat},    {"kitten", Animal::cat},    {"wolf", Animal::wolf},
    {"wolves", Animal::wolf}, {"dog", Animal::wolf},      {"dogs", Animal::wolf},
    {"puppy", Animal::wolf},  {"rabbit", Animal::rabbit}, {"bunny", Animal::rabbit},
    {"hare", Animal::rabbit}, {"deer", Animal::deer},     {"stag", Animal::deer},
    {"elk", Animal::deer},    {"reindeer", Animal::deer},
};

struct StyleWord {
  std::string_view word;
  std::string_view style;
};

constexpr StyleWord style_words[] = {
    {"photo", "photographic"},
    {"photograph", "photographic"},
    {"photographic", "photographic"},
    {"realistic", "photographic"},
    {"photorealistic", "photographic"},
    {"watercolor", "watercolor"},
    {"watercolour", "watercolor"},
    {"aquarelle", "watercolor"},
    {"pixel", "pixel-art"},
    {"8-bit", "pixel-art"},
    {"retro", "pixel-art"},
    {"neon", "neon"},
    {"synthwave", "neon"},
    {"line-art", "line-art"},
    {"lineart", "line-art"},
    {"sketch", "line-art"},
    {"drawing", "line-art"},
    {"ink", "line-art"},
    {"oil", "oil-painting"},
    {"painting", "oil-painting"},
    {"impasto", "oil-painting"},
    {"low-poly", "low-poly"},
    {"lowpoly", "low-poly"},
    {"polygonal", "low-poly"},
    {"polygon", "low-poly"},
};

// Words that may sit between a colour and the element it colours.
constexpr std::string_view colour_fillers[] = {
    "and",    "light",   "dark",    "bright",   "deep",     "pale",    "pastel", "vivid",
    "soft",   "glowing", "colored", "coloured", "tinted",   "ish",     "hot",    "neon",
    "little", "big",     "small",   "huge",     "tall",     "distant", "calm",   "misty",
    "old",    "wild",    "lone",    "fluffy",   "majestic",
};

const Color* find_colour(std::string_view word) {
  for (const auto& c : named_colours) {
    if (c.word == word) return &c.colour;
  }
  return nullptr;
}

std::optional<Element> find_element(std::string_view word) {
  for (const auto& e : element_words) {
    if (e.word == word) return e.element;
  }
  for (const auto& a : animal_words) {
    if (a.word == word) return Element::animal;
  }
  return std::nullopt;
}

bool is_filler(std::string_view word) {
  for (auto f : colour_fillers) {
    if (f == word) return true;
  }
  return false;
}

// Lower-cased ASCII words; '-' stays inside words ("low-poly"), everything else separates.
// Non-ASCII text (other scripts, emoji) separates words too and only feeds the hash.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80 && (std::isalnum(byte) || (c == '-' && !current.empty()))) {
      current.push_back(static_cast<char>(std::tolower(byte)));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  for (auto& w : words) {
    while (!w.empty() && w.back() == '-') w.pop_back();
  }
  return words;
}

bool same_colour(Color a, Color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

bool is_excluded(const Scene& scene, Color c) {
  for (const auto& e : scene.excluded) {
    if (same_colour(e, c)) return true;
  }
  return false;
}

}  // namespace

Scene read_scene(const std::string& prompt, const std::string& negative_prompt) {
  Scene scene;
  scene.hash = fnv1a(prompt);

  auto& removed = scene.removed;
  bool animal_removed = false;
  for (const auto& word : words_of(negative_prompt)) {
    if (const Color* c = find_colour(word)) scene.excluded.push_back(*c);
    if (auto e = find_element(word)) removed[static_cast<std::size_t>(*e)] = true;
    for (const auto& a : animal_words) animal_removed |= a.word == word;
  }

  const auto words = words_of(prompt);
  std::vector<Color> pending;  // colours waiting for the element they describe
  for (const auto& word : words) {
    if (const Color* c = find_colour(word)) {
      if (!is_excluded(scene, *c)) pending.push_back(*c);
      continue;
    }
    if (is_filler(word) && !pending.empty()) continue;

    const auto element = find_element(word);
    if (element) {
      scene[*element] = true;
      auto& own = scene.colours[static_cast<std::size_t>(*element)];
      own.insert(own.end(), pending.begin(), pending.end());
    } else {
      scene.palette.insert(scene.palette.end(), pending.begin(), pending.end());
    }
    pending.clear();

    for (const auto& a : animal_words) {
      if (a.word == word && scene.animal == Animal::none) scene.animal = a.animal;
    }
    for (const auto& s : style_words) {
      if (s.word == word && scene.implied_style.empty()) scene.implied_style = s.style;
    }
  }
  scene.palette.insert(scene.palette.end(), pending.begin(), pending.end());

  for (std::size_t i = 0; i < element_count; ++i) {
    if (removed[i]) scene.has[i] = false;
  }
  if (animal_removed) scene.animal = Animal::none;
  scene[Element::animal] = scene.animal != Animal::none;

  // Implications between words.
  if (scene[Element::galaxy]) scene[Element::stars] = true;
  if ((scene[Element::moon] || scene[Element::stars]) && !scene[Element::sky] &&
      !scene[Element::sunset] && !scene[Element::sun]) {
    scene[Element::night] = true;
  }
  if (scene[Element::night]) {
    if (!removed[static_cast<std::size_t>(Element::moon)]) scene[Element::moon] = true;
    if (!removed[static_cast<std::size_t>(Element::stars)]) scene[Element::stars] = true;
  }
  if (scene[Element::sunset] && !removed[static_cast<std::size_t>(Element::sun)]) {
    scene[Element::sun] = true;
  }

  bool any_scene = false;
  for (std::size_t i = 0; i < element_count; ++i) {
    if (static_cast<Element>(i) != Element::abstract && scene.has[i]) any_scene = true;
  }
  if (!any_scene) {
    if (!removed[static_cast<std::size_t>(Element::abstract)]) {
      scene[Element::abstract] = true;
    } else {
      // Everything the prompt named was negated: a quiet landscape is the least surprising answer.
      scene[Element::sky] = true;
      scene[Element::hills] = true;
    }
  }
  return scene;
}

}  // namespace rendermart::procedural
