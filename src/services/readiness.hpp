#pragma once

// Whether this process can serve: the database and the storage both answer.

#include <string>
#include <vector>

#include "blob/blob_store.hpp"
#include "store/store.hpp"

namespace rendermart {

struct ReadinessCheck {
  std::string name;   // "database", "storage"
  std::string error;  // empty: it answered
};

class Readiness {
 public:
  Readiness(Store& store, BlobStore& blobs);

  // Each dependency tried once, in a fixed order; failures are logged.
  std::vector<ReadinessCheck> check();

 private:
  Store& store_;
  BlobStore& blobs_;
};

}  // namespace rendermart
