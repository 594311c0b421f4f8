#pragma once

// Pictures users upload: checked, turned upright, stripped of metadata and filed as the user's
// images (task upload), so that every editing task can start from them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blob/blob_store.hpp"
#include "core/domain.hpp"
#include "services/blob_writers.hpp"
#include "services/quota_service.hpp"
#include "services/upload_limits.hpp"

namespace rendermart {

struct Upload {
  std::string_view bytes;  // the file as sent
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> tags;
};

class UploadService {
 public:
  UploadService(BlobStore& blobs, QuotaService& quotas, UploadLimits limits);

  // Files the picture as the user's image and returns it. Throws Error(payload_too_large) over
  // the limits, Error(invalid_argument, field "file") for a file that is not a whole PNG, JPEG
  // or WebP, LimitExceeded(quota_exceeded) when it does not fit the user's stored bytes; a
  // refused upload leaves nothing behind.
  Image upload(const User& user, const Upload& upload);

  // The two halves of upload(), for routes that look at the pixels before filing them (an
  // OpenAI-style edit makes its mask from an upload's transparency). decode() checks the limits
  // and decodes (the errors of upload()); file() stores pixels as the user's image (quota
  // errors as upload()).
  RawImage decode(std::string_view bytes) const;
  Image file(const User& user, const RawImage& pixels, std::string title = {},
             std::vector<std::string> tags = {});

  const UploadLimits& limits() const { return limits_; }

 private:
  BlobStore& blobs_;
  BlobWriters writers_;  // the files of one upload at a time
  QuotaService& quotas_;
  const UploadLimits limits_;
};

}  // namespace rendermart
