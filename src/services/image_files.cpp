#include "services/image_files.hpp"

#include <algorithm>

#include "imaging/infotext.hpp"
#include "imaging/png.hpp"
#include "imaging/webp.hpp"

namespace rendermart {

std::string image_blob_key(const Job& job, int attempt, int index) {
  return "images/" + job.user_id + "/" + job.id + "/" + std::to_string(attempt) + "-" +
         std::to_string(index) + ".png";
}

std::string thumbnail_key(const std::string& blob_key, int size) {
  return blob_key + ".thumb" + std::to_string(size) + ".webp";
}

std::string generated_png(const RawImage& image, const GenerationParams& params,
                          const std::string& model_name) {
  return encode_png(image, {{"parameters", a1111_parameters(params, model_name)},
                            {"rendermart", params_json(params)}});
}

std::int64_t put_image_files(BlobStore& blobs, const std::string& blob_key, const std::string& png,
                             const RawImage& image) {
  blobs.put(blob_key, png, "image/png");
  // At every size that the image already fits, its thumbnail is the whole image unscaled: the
  // same bytes, so encode them once (at 256x256 that halves the WebP work).
  const int longest_side = std::max(image.width, image.height);
  std::int64_t thumbnail_bytes = 0;
  std::string unscaled;
  for (int size : kThumbnailSizes) {
    const auto key = thumbnail_key(blob_key, size);
    if (longest_side > size) {
      const auto thumbnail = make_thumbnail(image, size);
      thumbnail_bytes += static_cast<std::int64_t>(thumbnail.size());
      blobs.put(key, thumbnail, "image/webp");
      continue;
    }
    if (unscaled.empty()) unscaled = make_thumbnail(image, size);
    thumbnail_bytes += static_cast<std::int64_t>(unscaled.size());
    blobs.put(key, unscaled, "image/webp");
  }
  return thumbnail_bytes;
}

void remove_image_files(BlobStore& blobs, const std::string& blob_key) {
  blobs.remove(blob_key);
  for (int size : kThumbnailSizes) blobs.remove(thumbnail_key(blob_key, size));
}

}  // namespace rendermart
