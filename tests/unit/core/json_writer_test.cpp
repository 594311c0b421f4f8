#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "core/json_writer.hpp"

namespace rendermart {
namespace {

// The renderer this writer replaced; responses must stay byte-for-byte the same.
std::string nlohmann_dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string string_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string number_json(double number) {
  std::string out;
  append_json_number(out, number);
  return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(string_json("plain"), "\"plain\"");
  EXPECT_EQ(string_json("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(string_json("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(string_json(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(string_json("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
  const std::string multibyte = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA8";  // 2, 3 and 4 bytes
  EXPECT_EQ(string_json(multibyte), "\"" + multibyte + "\"");
}

TEST(JsonWriter, ReplacesInvalidUtf8WithReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(string_json("a\xFF"
                        "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(string_json("\x80"), "\"" + fffd + "\"");
  EXPECT_EQ(string_json("\xC0\xAF"), "\"" + fffd + fffd + "\"");             // overlong
  EXPECT_EQ(string_json("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(string_json("\xE2\x82"), "\"" + fffd + "\"");                    // truncated at the end
  EXPECT_EQ(string_json("\xE2\x82x"), "\"" + fffd + "x\"");  // truncated in the middle
  EXPECT_EQ(string_json("\xF4\x90\x80\x80"),
            "\"" + fffd + fffd + fffd + fffd + "\"");  // above U+10FFFF
}

TEST(JsonWriter, StringsMatchNlohmannForArbitraryBytes) {
  std::mt19937 random(12345);
  // Bytes weighted towards the interesting ones: controls, quotes, lead and continuation bytes.
  const std::string alphabet = std::string(
      "\x00\x01\x1f \"\\a\x7f\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf"
      "\xe0\xe1\xec\xed\xee\xef\xf0\xf1\xf3\xf4\xf5\xff",
      33);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 8);
    for (int i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    ASSERT_EQ(string_json(text), nlohmann_dump(text))
        << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }
}

// Long strings of plain text with a few bytes that need care anywhere among them: the writer
// checks plain text eight bytes at a time.
TEST(JsonWriter, LongStringsMatchNlohmann) {
  std::mt19937 random(6789);
  const std::string special = std::string("\x00\x1f\"\\\x7f\x80\xc3\xa9\xe2\x82\xac\xff !~", 15);
  for (int round = 0; round < 20000; ++round) {
    const int length = static_cast<int>(random() % 40);
    std::string text;
    for (int i = 0; i < length; ++i) {
      text += random() % 8 == 0 ? special[random() % special.size()]
                                : static_cast<char>('a' + random() % 26);
    }
    ASSERT_EQ(string_json(text), nlohmann_dump(text))
        << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }
}

TEST(JsonWriter, FormatsNumbersAsNlohmannDoes) {
  EXPECT_EQ(number_json(7.0), "7.0");
  EXPECT_EQ(number_json(7.5), "7.5");
  EXPECT_EQ(number_json(0.25), "0.25");
  EXPECT_EQ(number_json(0), "0.0");
  EXPECT_EQ(number_json(-1.5), "-1.5");
  EXPECT_EQ(number_json(0.1), "0.1");
  EXPECT_EQ(number_json(1e16), "1e+16");
  EXPECT_EQ(number_json(1.5e-7), "1.5e-07");
  EXPECT_EQ(number_json(std::nan("")), "null");
  EXPECT_EQ(number_json(std::numeric_limits<double>::infinity()), "null");

  // Beyond those, the digits may differ from nlohmann's where Grisu2 does not find the shortest
  // (see json_writer.hpp): the text must read back as the same double, in the same notation.
  const auto expect_equivalent = [](double sample) {
    const auto mine = number_json(sample);
    const auto theirs = nlohmann_dump(sample);
    if (mine == theirs) return;
    EXPECT_EQ(std::stod(mine), sample) << mine;
    EXPECT_EQ(mine.find('e') == std::string::npos, theirs.find('e') == std::string::npos)
        << mine << " " << theirs;
    EXPECT_LE(mine.size(), theirs.size()) << mine << " " << theirs;
  };
  const double samples[] = {1.0 / 3,
                            2.0 / 3,
                            0.0001,
                            0.00001,
                            0.001234,
                            123456789012345.0,
                            1234567890123456.0,
                            1e15,
                            1e21,
                            5e-324,
                            1.7976931348623157e308,
                            -0.0,
                            100.0,
                            12.125,
                            0.30000000000000004,
                            92771317663981.125};
  for (const double sample : samples) expect_equivalent(sample);
  // The values responses hold: progress (steps done / steps) and cfg_scale (a few decimals).
  for (int steps = 1; steps <= 200; ++steps) {
    for (int done = 0; done <= steps; ++done) expect_equivalent(static_cast<double>(done) / steps);
  }
  for (int hundredths = 0; hundredths <= 5000; ++hundredths) {
    const double cfg_scale = hundredths / 100.0;
    ASSERT_EQ(number_json(cfg_scale), nlohmann_dump(cfg_scale)) << cfg_scale;
  }
  std::mt19937_64 random(99);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int round = 0; round < 20000; ++round) {
    expect_equivalent(unit(random) * std::pow(10.0, static_cast<int>(random() % 40) - 20));
  }
}

TEST(JsonWriter, WritesNestedContainersWithCommas) {
  JsonWriter w;
  w.begin_object();
  w.key("a");
  w.value(1);
  w.key("b");
  w.begin_array();
  w.value(true);
  w.null();
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.value("x");
  w.end_array();
  w.key("c");
  w.begin_object();
  w.key("d");
  w.value(-2.5);
  w.end_object();
  w.key("e");
  w.value(std::uint32_t{4294967295u});
  w.key("f");
  w.value(std::int64_t{-9007199254740993});
  w.end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[true,null,{},[],"x"],"c":{"d":-2.5},"e":4294967295,)"
                     R"("f":-9007199254740993})");
}

}  // namespace
}  // namespace rendermart
