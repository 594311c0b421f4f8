#include "services/image_service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "services/generation_request.hpp"
#include "services/image_files.hpp"

namespace rendermart {
namespace {
constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxTags = 20;
constexpr std::size_t kMaxTag = 50;
}  // namespace

void validate_labels(const std::optional<std::string>& title,
                     const std::optional<std::vector<std::string>>& tags) {
  if (title && utf8_length(*title) > kMaxTitle) {
    throw invalid_argument("title",
                           "title is longer than " + std::to_string(kMaxTitle) + " characters");
  }
  if (tags) {
    if (tags->size() > kMaxTags) {
      throw invalid_argument("tags", "at most " + std::to_string(kMaxTags) + " tags");
    }
    for (const auto& tag : *tags) {
      if (tag.empty() || utf8_length(tag) > kMaxTag) {
        throw invalid_argument(
            "tags", "each tag must be 1 to " + std::to_string(kMaxTag) + " characters long");
      }
    }
  }
}

ImageService::ImageService(Store& store, BlobStore& blobs) : store_(store), blobs_(blobs) {}

std::vector<Image> ImageService::list(const User& user, const ImageQuery& query) {
  return store_.list_images(user.id, query);
}

std::int64_t ImageService::count(const User& user, const ImageQuery& query) {
  return store_.count_matching_images(user.id, query);
}

Image ImageService::get(const User& user, const std::string& image_id) {
  auto image = store_.get_image(user.id, image_id);
  if (!image) throw not_found("image");
  return *image;
}

Image ImageService::update(const User& user, const std::string& image_id, const ImagePatch& patch) {
  validate_labels(patch.title, patch.tags);
  auto image = store_.update_image(user.id, image_id, patch);
  if (!image) throw not_found("image");
  return *image;
}

void ImageService::remove(const User& user, const std::string& image_id) {
  auto image = store_.delete_image(user.id, image_id);
  if (!image) throw not_found("image");
  remove_files({image->blob_key});
}

void ImageService::remove_files(const std::vector<std::string>& blob_keys) {
  for (const auto& blob_key : blob_keys) {
    try {
      remove_image_files(blobs_, blob_key);
    } catch (const Error& e) {
      spdlog::warn("an image was deleted but its files at {} remain: {}", blob_key, e.what());
    }
  }
}

std::string ImageService::original(const Image& image) { return blobs_.get(image.blob_key); }

std::optional<std::string> ImageService::original_url(const Image& image,
                                                      std::chrono::seconds expiry) {
  return blobs_.presigned_get_url(image.blob_key, expiry);
}

std::string ImageService::thumbnail(const Image& image, int size) {
  if (std::find(std::begin(kThumbnailSizes), std::end(kThumbnailSizes), size) ==
      std::end(kThumbnailSizes)) {
    throw invalid_argument("size", "thumbnail size must be 256 or 512");
  }
  return blobs_.get(thumbnail_key(image.blob_key, size));
}

}  // namespace rendermart
