#pragma once

// The BlobStore: bytes by key (originals and thumbnails). Implementations: local files
// (blob/local, the default) and S3.
//
// Contract: thread-safe; keys are relative paths of [A-Za-z0-9._/-] without "..";
// put is atomic (a reader sees the old object, the new one, or none, never a part);
// failures throw rendermart::Error(storage_error), and a missing object is not_found.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rendermart {

struct BlobInfo {
  std::int64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  virtual void put(const std::string& key, const std::string& bytes,
                   const std::string& content_type) = 0;
  virtual std::string get(const std::string& key) = 0;
  virtual std::optional<BlobInfo> head(const std::string& key) = 0;
  // Deleting a missing object is not an error.
  virtual void remove(const std::string& key) = 0;
  // A URL that lets anyone holding it download the object until it expires; nothing when the
  // backend has no such URLs (local files), and the API then serves the bytes itself.
  virtual std::optional<std::string> presigned_get_url(const std::string& key,
                                                       std::chrono::seconds expiry) = 0;
  // Throws unless the store can be written and read.
  virtual void ping() = 0;
};

// Builds the BlobStore that a storage URL names: "file:///abs/dir", "file://relative/dir" or
// "s3://bucket/prefix?region=...&endpoint=...&path_style=true" (see blob/s3/s3_blob_store.hpp).
std::unique_ptr<BlobStore> open_blob_store(const std::string& url);

}  // namespace rendermart
