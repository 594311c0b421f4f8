#include <gtest/gtest.h>

#include <regex>

#include "core/error.hpp"
#include "providers/model_lifecycle.hpp"

namespace rendermart {
namespace {

TEST(ModelLifecycle, AModelPastItsShutdownDateIsNeverOffered) {
  EXPECT_EQ(offer_for({false, "2026-12-01"}, "2026-12-07"), Offer::never);
  EXPECT_EQ(offer_for({true, "2026-09-30"}, "2026-12-07"), Offer::never);
  EXPECT_EQ(offer_for({false, "2026-12-07"}, "2026-12-07"), Offer::never)
      << "it shuts down on its date";
}

TEST(ModelLifecycle, LegacyOrShuttingDownModelsAreOfferedOnlyWhenNamed) {
  EXPECT_EQ(offer_for({false, "2026-12-08"}, "2026-12-07"), Offer::when_named);
  EXPECT_EQ(offer_for({true, ""}, "2026-12-07"), Offer::when_named);
  EXPECT_EQ(offer_for({true, "2027-03-01"}, "2026-12-07"), Offer::when_named);
}

TEST(ModelLifecycle, CurrentModelsAreAlwaysOffered) {
  EXPECT_EQ(offer_for({false, ""}, "2026-12-07"), Offer::always);
}

TEST(ModelLifecycle, TodayIsAnIsoDate) {
  EXPECT_TRUE(std::regex_match(utc_today(), std::regex(R"(\d{4}-\d{2}-\d{2})"))) << utc_today();
}

TEST(ModelLifecycle, ARetiredModelsErrorNamesTheReplacement) {
  const std::vector<RetiredModel> table = {{"old", "2026-01-01", "new-1"},
                                           {"gone", "2026-02-01", ""}};
  EXPECT_FALSE(find_retired(table, "current"));
  try {
    throw_retired("models", "MODELS", *find_retired(table, "old"));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(e.field(), "models");
    EXPECT_EQ(std::string(e.what()),
              "MODELS names 'old', which the service retired on 2026-01-01: use new-1 instead, the "
              "replacement it documents");
  }
  try {
    throw_retired("models", "MODELS", *find_retired(table, "gone"));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("documents no replacement"), std::string::npos);
  }
}

TEST(ModelLifecycle, TheWarningSaysWhyAndWhen) {
  EXPECT_EQ(shutdown_warning("m", {true, "2027-01-15"}, "MODELS"),
            "model m is Legacy and shuts down on 2027-01-15; it is offered only because MODELS "
            "names it: move to a current model");
}

}  // namespace
}  // namespace rendermart
