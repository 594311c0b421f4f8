#include <gtest/gtest.h>

#include "core/iso_time.hpp"

namespace rendermart {
namespace {

TEST(IsoTime, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1795637700123), "2026-11-25T20:15:00.123Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(253402300800000), "10000-01-01T00:00:00.000Z");
}

TEST(IsoTime, ParsesDatesAndDateTimes) {
  EXPECT_EQ(parse_iso8601("2026-11-25T20:15:00.123Z"), 1795637700123);
  EXPECT_EQ(parse_iso8601("2026-11-25"), 1795564800000);
  EXPECT_EQ(parse_iso8601("2026-11-25T21:15:00+01:00"), 1795637700000);
  EXPECT_EQ(parse_iso8601("2026-11-25T20:15"), 1795637700000);
}

TEST(IsoTime, RejectsMalformedText) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-25T25:00:00Z",
                          "2026-11-25T20:15:00Q", "20261125"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(IsoTime, RoundTrips) {
  for (Millis t : {Millis{0}, Millis{951782400000}, Millis{1795637700123}}) {
    EXPECT_EQ(parse_iso8601(format_iso8601(t)), t);
  }
}

}  // namespace
}  // namespace rendermart
