#pragma once

#include <filesystem>

#include "blob/blob_store.hpp"

namespace rendermart {

// Blobs as files under a root directory. A put writes and flushes an unnamed file and then
// gives it the key's name, so readers never see a partial object and a crash leaves no debris.
class FileBlobStore : public BlobStore {
 public:
  explicit FileBlobStore(std::filesystem::path root);

  void put(const std::string& key, const std::string& bytes,
           const std::string& content_type) override;
  std::string get(const std::string& key) override;
  std::optional<BlobInfo> head(const std::string& key) override;
  void remove(const std::string& key) override;
  std::optional<std::string> presigned_get_url(const std::string& key,
                                               std::chrono::seconds expiry) override;
  void ping() override;

 private:
  std::filesystem::path path_for(const std::string& key) const;

  std::filesystem::path root_;
};

}  // namespace rendermart
