#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob_store.hpp"
#include "core/domain.hpp"
#include "store/store.hpp"

namespace rendermart {

// Checks a title and tags as the user gave them (length and count); throws
// Error(invalid_argument) naming the field.
void validate_labels(const std::optional<std::string>& title,
                     const std::optional<std::vector<std::string>>& tags);

class ImageService {
 public:
  ImageService(Store& store, BlobStore& blobs);

  std::vector<Image> list(const User& user, const ImageQuery& query);
  // How many of the user's images pass the query's filters, whatever its page.
  std::int64_t count(const User& user, const ImageQuery& query);
  // Throws not_found for another user's image.
  Image get(const User& user, const std::string& image_id);
  Image update(const User& user, const std::string& image_id, const ImagePatch& patch);
  // Removes the row first, then its files: a failure between the two leaves an unreferenced
  // file, never a row that points at nothing.
  void remove(const User& user, const std::string& image_id);
  // Removes the files (original and thumbnails) of images whose rows are gone; a failure is
  // logged, not thrown: the rows are already deleted.
  void remove_files(const std::vector<std::string>& blob_keys);

  std::string original(const Image& image);
  // A URL that serves the original directly from storage, when the storage has such URLs.
  std::optional<std::string> original_url(const Image& image, std::chrono::seconds expiry);
  // size must be one of kThumbnailSizes (invalid_argument, field "size").
  std::string thumbnail(const Image& image, int size);

 private:
  Store& store_;
  BlobStore& blobs_;
};

}  // namespace rendermart
