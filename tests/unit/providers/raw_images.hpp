#pragma once

// Pictures for the providers' tests.

#include <cstdint>

#include "core/domain.hpp"

namespace rendermart::test {

// Every byte of every pixel `value`.
inline RawImage solid(int width, int height, std::uint8_t value) {
  RawImage image;
  image.width = width;
  image.height = height;
  image.rgb.assign(static_cast<std::size_t>(width) * height * 3, value);
  return image;
}

}  // namespace rendermart::test
