#include "services/image_files.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

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

std::int64_t put_image_files(BlobWriters& writers, const std::string& blob_key,
                             const std::string& png, const RawImage& image) {
  // Declared before the batch, so that they outlive the writes that read them.
  std::vector<std::string> thumbnails;
  thumbnails.reserve(std::size(kThumbnailSizes));  // no reallocation under the writes
  BlobWriters::Batch batch(writers);
  batch.put(blob_key, png, "image/png");
  // At every size that the image already fits, its thumbnail is the whole image unscaled: the
  // same bytes, so encode them once (at 256x256 that halves the WebP work). The sizes ascend, so
  // once the image fits, the last thumbnail encoded is the unscaled one.
  const int longest_side = std::max(image.width, image.height);
  std::int64_t thumbnail_bytes = 0;
  bool have_unscaled = false;
  for (int size : kThumbnailSizes) {
    const bool fits = longest_side <= size;
    if (!fits || !have_unscaled) {
      thumbnails.push_back(make_thumbnail(image, size));
      have_unscaled = fits;
    }
    thumbnail_bytes += static_cast<std::int64_t>(thumbnails.back().size());
    batch.put(thumbnail_key(blob_key, size), thumbnails.back(), "image/webp");
  }
  batch.wait();
  return thumbnail_bytes;
}

void remove_image_files(BlobStore& blobs, const std::string& blob_key) {
  blobs.remove(blob_key);
  for (int size : kThumbnailSizes) blobs.remove(thumbnail_key(blob_key, size));
}

}  // namespace rendermart
