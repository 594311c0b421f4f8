#pragma once

// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). Thread-safe.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rendermart {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a family once (type: "counter", "gauge" or "histogram"); re-declaring is harmless.
  // Histograms take their bucket upper bounds (seconds); +Inf is implicit.
  void describe(const std::string& name, const std::string& type, const std::string& help,
                std::vector<double> buckets = {});

  void increment(const std::string& name, const Labels& labels = {}, double value = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double value);

  // Runs before each render, e.g. to set a gauge from the database.
  void add_collector(std::function<void(Metrics&)> collector);

  std::string render();

  // Default latency buckets in seconds: 0.5 ms .. 10 s.
  static std::vector<double> latency_buckets();

 private:
  struct Histogram {
    std::vector<double> counts;  // one per bucket, not cumulative
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string type;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
  };
  std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Metrics&)>> collectors_;
};

}  // namespace rendermart
