#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace rendermart {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricsTest, RendersCountersWithHelpAndType) {
  Metrics metrics;
  metrics.describe("jobs_total", "counter", "Jobs by status.");
  metrics.increment("jobs_total", {{"status", "ok"}});
  metrics.increment("jobs_total", {{"status", "ok"}}, 2);
  metrics.increment("jobs_total", {{"status", "failed"}});
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text,
                       "# HELP jobs_total Jobs by status.\n"
                       "# TYPE jobs_total counter\n"
                       "jobs_total{status=\"failed\"} 1\n"
                       "jobs_total{status=\"ok\"} 3\n"))
      << text;
}

TEST(MetricsTest, RendersUnlabelledGaugesAndSpecialValues) {
  Metrics metrics;
  metrics.describe("queue_depth", "gauge", "Queued jobs.");
  metrics.set("queue_depth", {}, 12.5);
  metrics.set("temperature", {}, std::numeric_limits<double>::infinity());
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE queue_depth gauge\nqueue_depth 12.5\n")) << text;
  EXPECT_TRUE(contains(text, "# TYPE temperature gauge\ntemperature +Inf\n")) << text;
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Metrics metrics;
  metrics.describe("odd", "counter", "Back\\slash and\nnewline.");
  metrics.increment("odd", {{"path", "a\\b\"c\nd"}});
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "# HELP odd Back\\\\slash and\\nnewline.\n")) << text;
  EXPECT_TRUE(contains(text, "odd{path=\"a\\\\b\\\"c\\nd\"} 1\n")) << text;
}

TEST(MetricsTest, LabelOrderDoesNotSplitSeries) {
  Metrics metrics;
  metrics.increment("hits", {{"a", "1"}, {"b", "2"}});
  metrics.increment("hits", {{"b", "2"}, {"a", "1"}});
  EXPECT_TRUE(contains(metrics.render(), "hits{a=\"1\",b=\"2\"} 2\n"));
}

TEST(MetricsTest, RendersCumulativeHistograms) {
  Metrics metrics;
  metrics.describe("latency_seconds", "histogram", "Latency.", {0.25, 1, 0.5});
  metrics.observe("latency_seconds", {{"route", "/x"}}, 0.125);
  metrics.observe("latency_seconds", {{"route", "/x"}}, 0.25);  // on the bound: counted in it
  metrics.observe("latency_seconds", {{"route", "/x"}}, 0.75);
  metrics.observe("latency_seconds", {{"route", "/x"}}, 3);
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text,
                       "# HELP latency_seconds Latency.\n"
                       "# TYPE latency_seconds histogram\n"
                       "latency_seconds_bucket{route=\"/x\",le=\"0.25\"} 2\n"
                       "latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 2\n"
                       "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
                       "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
                       "latency_seconds_sum{route=\"/x\"} 4.125\n"
                       "latency_seconds_count{route=\"/x\"} 4\n"))
      << text;
}

TEST(MetricsTest, UnlabelledHistogram) {
  Metrics metrics;
  metrics.describe("h", "histogram", "H.", {1});
  metrics.observe("h", {}, 2);
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"))
      << text;
}

TEST(MetricsTest, CollectorsRunBeforeEachRender) {
  Metrics metrics;
  metrics.describe("users", "gauge", "Registered users.");
  int calls = 0;
  metrics.add_collector([&](Metrics& m) { m.set("users", {}, ++calls); });
  EXPECT_TRUE(contains(metrics.render(), "users 1\n"));
  EXPECT_TRUE(contains(metrics.render(), "users 2\n"));
}

TEST(MetricsTest, FailingCollectorDoesNotBreakRendering) {
  Metrics metrics;
  metrics.increment("up");
  metrics.add_collector([](Metrics&) { throw std::runtime_error("database down"); });
  EXPECT_TRUE(contains(metrics.render(), "up 1\n"));
}

TEST(MetricsTest, RedescribingKeepsTheFirstDescription) {
  Metrics metrics;
  metrics.describe("c", "counter", "First.");
  metrics.describe("c", "counter", "Second.");
  EXPECT_TRUE(contains(metrics.render(), "# HELP c First.\n"));
}

TEST(MetricsTest, LatencyBucketsSpanHalfAMillisecondToTenSeconds) {
  const auto buckets = Metrics::latency_buckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0005);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

}  // namespace
}  // namespace rendermart
