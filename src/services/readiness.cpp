#include "services/readiness.hpp"

#include <spdlog/spdlog.h>

namespace rendermart {
namespace {

template <typename Probe>
ReadinessCheck probe(const char* name, Probe&& ping) {
  try {
    ping();
    return {name, ""};
  } catch (const std::exception& e) {
    spdlog::warn("readiness check {} failed: {}", name, e.what());
    return {name, e.what()};
  }
}

}  // namespace

Readiness::Readiness(Store& store, BlobStore& blobs) : store_(store), blobs_(blobs) {}

std::vector<ReadinessCheck> Readiness::check() {
  return {probe("database", [this] { store_.ping(); }),
          probe("storage", [this] { blobs_.ping(); })};
}

}  // namespace rendermart
