#include "core/iso_time.hpp"

#include <chrono>
#include <cstdio>
#include <regex>

namespace rendermart {

std::string format_iso8601(Millis millis) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds{millis}};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  const int year_number = static_cast<int>(date.year());
  if (year_number >= 0 && year_number <= 9999) {
    // Digit by digit: snprintf was a visible share of rendering a page of images (three
    // timestamps per item). Years outside four digits take the snprintf path below.
    char text[] = "0000-00-00T00:00:00.000Z";
    const auto put = [&text](int at, int width, unsigned value) {
      for (int i = width - 1; i >= 0; --i) {
        text[at + i] = static_cast<char>('0' + value % 10);
        value /= 10;
      }
    };
    put(0, 4, static_cast<unsigned>(year_number));
    put(5, 2, static_cast<unsigned>(date.month()));
    put(8, 2, static_cast<unsigned>(date.day()));
    put(11, 2, static_cast<unsigned>(clock.hours().count()));
    put(14, 2, static_cast<unsigned>(clock.minutes().count()));
    put(17, 2, static_cast<unsigned>(clock.seconds().count()));
    put(20, 3, static_cast<unsigned>(clock.subseconds().count()));
    return std::string(text, sizeof text - 1);
  }
  char buffer[32];
  std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return buffer;
}

std::optional<Millis> parse_iso8601(const std::string& text) {
  using namespace std::chrono;
  static const std::regex pattern(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  const year_month_day date{year{std::stoi(m[1])}, month{static_cast<unsigned>(std::stoi(m[2]))},
                            day{static_cast<unsigned>(std::stoi(m[3]))}};
  if (!date.ok()) return std::nullopt;
  const int hours = m[4].matched ? std::stoi(m[4]) : 0;
  const int minutes = m[5].matched ? std::stoi(m[5]) : 0;
  const int seconds = m[6].matched ? std::stoi(m[6]) : 0;
  if (hours > 23 || minutes > 59 || seconds > 60) return std::nullopt;
  int millis = 0;
  if (m[7].matched) {
    std::string fraction = m[7].str();
    fraction.resize(3, '0');
    millis = std::stoi(fraction);
  }
  Millis offset_minutes = 0;
  if (m[8].matched && m[8].str().size() == 6) {
    const std::string offset = m[8].str();
    offset_minutes = std::stoi(offset.substr(1, 2)) * 60 + std::stoi(offset.substr(4, 2));
    if (offset[0] == '-') offset_minutes = -offset_minutes;
  }
  const auto day_ms = duration_cast<milliseconds>(sys_days{date}.time_since_epoch()).count();
  return day_ms + ((hours * 60 + minutes - offset_minutes) * 60 + seconds) * 1000LL + millis;
}

}  // namespace rendermart
