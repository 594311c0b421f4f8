#pragma once

#include <memory>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace rendermart {

// Every model of every configured provider, by id. Built once at start-up, then read-only, so
// any thread may use it.
class ModelCatalog {
 public:
  // Throws Error(internal) when two providers offer the same model id.
  void add(std::shared_ptr<Provider> provider);

  const std::vector<ModelInfo>& models() const { return models_; }
  // Throws Error(invalid_argument, field "model") for an unknown id.
  const ModelInfo& model(const std::string& model_id) const;
  Provider& provider_for(const std::string& model_id) const;

 private:
  std::vector<ModelInfo> models_;
  std::vector<std::shared_ptr<Provider>> providers_;  // parallel to models_
};

}  // namespace rendermart
