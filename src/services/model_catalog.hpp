#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

struct CatalogEntry {
  ModelInfo info;
  std::shared_ptr<Provider> provider;
};

// Every model of every configured provider, by id. Providers are added at start-up; refresh()
// re-reads what they offer (a model pulled into or removed from the models folder) while other
// threads keep reading: readers see one consistent list, the one before or the one after.
// Every method is thread-safe.
class ModelCatalog {
 public:
  // At start-up. Throws Error(internal) when two providers offer the same model id.
  void add(std::shared_ptr<Provider> provider);
  // Asks every provider to re-read its models, then publishes the new list. A model whose id
  // another provider already offers is left out, with a warning. Blocks while the providers
  // read (for the local engine: every model's configs and weight headers).
  void refresh();

  std::vector<ModelInfo> models() const;
  // The model and its provider; nothing for an id that no provider offers (any more).
  std::optional<CatalogEntry> find(const std::string& model_id) const;
  // Throws Error(invalid_argument, field "model") for an unknown id.
  ModelInfo model(const std::string& model_id) const;
  std::shared_ptr<Provider> provider_for(const std::string& model_id) const;

 private:
  using Entry = CatalogEntry;
  using Entries = std::vector<Entry>;

  std::shared_ptr<const Entries> snapshot() const;
  static const Entry& entry(const Entries& entries, const std::string& model_id);

  std::mutex refresh_mutex_;  // one refresh at a time; guards providers_
  std::vector<std::shared_ptr<Provider>> providers_;
  mutable std::mutex mutex_;  // guards entries_ (the pointer, not the list it points to)
  std::shared_ptr<const Entries> entries_ = std::make_shared<const Entries>();
};

}  // namespace rendermart
