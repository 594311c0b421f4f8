#pragma once

// The files of an image in the blob store: where they go, what the PNG holds, and the
// thumbnails made beside it. The one place that knows the key layout.

#include <cstdint>
#include <iterator>
#include <string>

#include "blob/blob_store.hpp"
#include "core/domain.hpp"
#include "services/blob_writers.hpp"

namespace rendermart {

// Thumbnails are made when an image is stored, in these sizes (longest side, pixels), ascending.
inline constexpr int kThumbnailSizes[] = {256, 512};
// The files of one image: the PNG and its thumbnails (the writes put_image_files makes at once).
inline constexpr int kFilesPerImage = 1 + static_cast<int>(std::size(kThumbnailSizes));

// Where a generated image goes: attempt-specific keys, so that a retry never overwrites files
// that an earlier attempt may still be writing, and can delete that attempt's leftovers by name.
std::string image_blob_key(const Job& job, int attempt, int index);
std::string thumbnail_key(const std::string& blob_key, int size);

// The PNG of a generated image, carrying its parameters as AUTOMATIC1111's infotext
// ("parameters") and as JSON ("rendermart").
std::string generated_png(const RawImage& image, const GenerationParams& params,
                          const std::string& model_name);

// Stores the PNG at `blob_key` and the image's thumbnails beside it, all at the same time, the
// PNG while the thumbnails are encoded; returns the thumbnails' bytes once every file is stored.
std::int64_t put_image_files(BlobWriters& writers, const std::string& blob_key,
                             const std::string& png, const RawImage& image);
// Removes the PNG at `blob_key` and its thumbnails; files already gone are no error.
void remove_image_files(BlobStore& blobs, const std::string& blob_key);

}  // namespace rendermart
