#include "core/metrics.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace rendermart {
namespace {

// Label order does not make a different series: {a,b} and {b,a} are one.
Labels normalized(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_help(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// {a="x",b="y"} with an optional extra label appended (histograms' le); empty when no labels.
std::string format_labels(const Labels& labels, const std::string& le = {}) {
  if (labels.empty() && le.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"" + le + "\"";
  }
  return out + "}";
}

}  // namespace

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help,
                       std::vector<double> buckets) {
  if (type != "counter" && type != "gauge" && type != "histogram") {
    throw Error(ErrorCode::internal, "metric " + name + ": unknown type " + type);
  }
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  if (type == "histogram" && buckets.empty()) buckets = latency_buckets();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name);
  if (!inserted) {
    // First use may have created the family before its description: keep type, add help.
    if (it->second.help.empty()) it->second.help = help;
    return;
  }
  it->second.type = type;
  it->second.help = help;
  it->second.buckets = std::move(buckets);
}

void Metrics::increment(const std::string& name, const Labels& labels, double value) {
  auto key = normalized(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) family.type = "counter";  // used before describe(): a plain counter
  if (family.type == "histogram") {
    throw Error(ErrorCode::internal, "metric " + name + " is a histogram: observe() it");
  }
  family.values[std::move(key)] += value;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  auto key = normalized(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) family.type = "gauge";
  if (family.type == "histogram") {
    throw Error(ErrorCode::internal, "metric " + name + " is a histogram: observe() it");
  }
  family.values[std::move(key)] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  auto key = normalized(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) {
    family.type = "histogram";
    family.buckets = latency_buckets();
  }
  if (family.type != "histogram") {
    throw Error(ErrorCode::internal, "metric " + name + " is not a histogram");
  }
  auto& histogram = family.histograms[std::move(key)];
  if (histogram.counts.empty()) histogram.counts.assign(family.buckets.size(), 0);
  // Counted in the first bucket whose bound is >= value; above every bound: only in +Inf.
  const auto bucket = std::lower_bound(family.buckets.begin(), family.buckets.end(), value);
  if (bucket != family.buckets.end()) {
    histogram.counts[static_cast<std::size_t>(bucket - family.buckets.begin())] += 1;
  }
  histogram.sum += value;
  histogram.count += 1;
}

void Metrics::add_collector(std::function<void(Metrics&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::render() {
  // Collectors call set() and friends, so they run without the lock held.
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& collector : collectors) {
    try {
      collector(*this);
    } catch (const std::exception& error) {
      // A failing source (database down) must not take the other metrics with it.
      spdlog::warn("metrics collector failed: {}", error.what());
    }
  }

  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    if (!family.help.empty()) out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, value] : family.values) {
      out += name + format_labels(labels) + " " + format_value(value) + "\n";
    }
    for (const auto& [labels, histogram] : family.histograms) {
      double cumulative = 0;
      for (std::size_t i = 0; i < family.buckets.size(); ++i) {
        cumulative += histogram.counts[i];
        out += name + "_bucket" + format_labels(labels, format_value(family.buckets[i])) + " " +
               format_value(cumulative) + "\n";
      }
      out += name + "_bucket" + format_labels(labels, "+Inf") + " " +
             format_value(histogram.count) + "\n";
      out += name + "_sum" + format_labels(labels) + " " + format_value(histogram.sum) + "\n";
      out += name + "_count" + format_labels(labels) + " " + format_value(histogram.count) + "\n";
    }
  }
  return out;
}

std::vector<double> Metrics::latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace rendermart
