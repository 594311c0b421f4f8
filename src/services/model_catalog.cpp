#include "services/model_catalog.hpp"

#include <map>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace rendermart {

void ModelCatalog::add(std::shared_ptr<Provider> provider) {
  std::lock_guard refresh_lock(refresh_mutex_);
  auto entries = std::make_shared<Entries>(*snapshot());
  for (auto& info : provider->models()) {
    for (const auto& existing : *entries) {
      if (existing.info.id == info.id) {
        throw Error(ErrorCode::internal, "two providers offer the model id '" + info.id + "'");
      }
    }
    entries->push_back({std::move(info), provider});
  }
  providers_.push_back(std::move(provider));
  std::lock_guard lock(mutex_);
  entries_ = std::move(entries);
}

void ModelCatalog::refresh() {
  std::lock_guard refresh_lock(refresh_mutex_);
  auto entries = std::make_shared<Entries>();
  for (const auto& provider : providers_) {
    provider->refresh();
    for (auto& info : provider->models()) {
      const bool taken = std::any_of(entries->begin(), entries->end(),
                                     [&](const Entry& e) { return e.info.id == info.id; });
      if (taken) {
        spdlog::warn("model {} of provider {} is not offered: another provider has that id",
                     info.id, info.provider);
        continue;
      }
      entries->push_back({std::move(info), provider});
    }
  }
  std::lock_guard lock(mutex_);
  entries_ = std::move(entries);
}

std::shared_ptr<const ModelCatalog::Entries> ModelCatalog::snapshot() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

const ModelCatalog::Entry& ModelCatalog::entry(const Entries& entries,
                                               const std::string& model_id) {
  for (const auto& e : entries) {
    if (e.info.id == model_id) return e;
  }
  throw invalid_argument("model",
                         "unknown model '" + model_id + "': GET /api/v1/models lists them");
}

// Which models are loaded changes with every generation, so it is asked for here rather than
// kept in the snapshot.
std::vector<ModelInfo> ModelCatalog::models() const {
  const auto entries = snapshot();
  std::map<const Provider*, std::optional<std::vector<std::string>>> in_memory;
  std::vector<ModelInfo> out;
  out.reserve(entries->size());
  for (const auto& e : *entries) {
    auto found = in_memory.find(e.provider.get());
    if (found == in_memory.end()) {
      found = in_memory.emplace(e.provider.get(), e.provider->models_in_memory()).first;
    }
    out.push_back(e.info);
    if (const auto& ids = found->second) {
      out.back().loaded = std::find(ids->begin(), ids->end(), e.info.id) != ids->end();
    }
  }
  return out;
}

std::optional<CatalogEntry> ModelCatalog::find(const std::string& model_id) const {
  const auto entries = snapshot();
  for (const auto& e : *entries) {
    if (e.info.id == model_id) return e;
  }
  return std::nullopt;
}

ModelInfo ModelCatalog::model(const std::string& model_id) const {
  const auto entries = snapshot();
  return entry(*entries, model_id).info;
}

std::shared_ptr<Provider> ModelCatalog::provider_for(const std::string& model_id) const {
  const auto entries = snapshot();
  return entry(*entries, model_id).provider;
}

}  // namespace rendermart
