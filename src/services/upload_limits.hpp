#pragma once

// What one upload may be; set from configuration.

#include <cstdint>

namespace rendermart {

struct UploadLimits {
  // A phone's full-resolution JPEG is 3-12 MB; 20 MB leaves room for large PNGs.
  std::int64_t max_bytes = std::int64_t{20} * 1024 * 1024;
  // 40 megapixels: an 8K photo (33 MP) fits; decoded as RGB it is 120 MB, the most one upload
  // may make the server hold.
  std::int64_t max_pixels = 40'000'000;
};

}  // namespace rendermart
