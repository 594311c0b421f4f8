#include "services/upload_service.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "imaging/png.hpp"
#include "imaging/uploaded_image.hpp"
#include "services/image_files.hpp"
#include "services/image_service.hpp"

namespace rendermart {

UploadService::UploadService(BlobStore& blobs, QuotaService& quotas, UploadLimits limits)
    : blobs_(blobs), writers_(blobs, kFilesPerImage), quotas_(quotas), limits_(limits) {}

Image UploadService::upload(const User& user, const Upload& upload) {
  validate_labels(upload.title, upload.tags);
  return file(user, decode(upload.bytes), upload.title.value_or(""),
              upload.tags.value_or(std::vector<std::string>{}));
}

RawImage UploadService::decode(std::string_view bytes) const {
  if (static_cast<std::int64_t>(bytes.size()) > limits_.max_bytes) {
    throw Error(ErrorCode::payload_too_large,
                "the file is " + std::to_string(bytes.size()) +
                    " bytes, over the upload limit of " + std::to_string(limits_.max_bytes) +
                    " bytes: scale the picture down or save it as JPEG",
                "file");
  }
  return decode_uploaded_image(bytes, limits_.max_pixels);
}

Image UploadService::file(const User& user, const RawImage& pixels, std::string title,
                          std::vector<std::string> tags) {
  Job job;
  job.id = new_id();
  job.user_id = user.id;
  job.created_at = now_millis();
  job.params.task = GenerationTask::upload;
  job.params.width = pixels.width;
  job.params.height = pixels.height;
  // An upload asks for no generated image: it does not count against images per day.
  job.params.count = 0;
  job.attempts = 1;

  Image image;
  image.id = new_id();
  image.user_id = user.id;
  image.job_id = job.id;
  image.params = job.params;
  image.params.count = 1;
  image.title = std::move(title);
  image.tags = std::move(tags);
  image.blob_key = image_blob_key(job, job.attempts, 0);
  image.created_at = job.created_at;
  // A new file made from the pixels alone: no EXIF (camera, place, time), no colour profile,
  // no text, whatever the upload carried.
  const std::string png = encode_png(pixels, {});
  image.bytes = static_cast<std::int64_t>(png.size());
  image.sha256 = sha256_hex(png);
  image.thumbnail_bytes = put_image_files(writers_, image.blob_key, png, pixels);
  try {
    quotas_.add_upload(user, job, image);
  } catch (...) {
    try {
      remove_image_files(blobs_, image.blob_key);
    } catch (const std::exception& e) {
      spdlog::warn("an upload was refused but its files at {} remain: {}", image.blob_key,
                   e.what());
    }
    throw;
  }
  return image;
}

}  // namespace rendermart
