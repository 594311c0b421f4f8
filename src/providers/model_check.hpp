#pragma once

// What `rendermart providers check` learns about one configured cloud model from the live
// service.

#include <string>

namespace rendermart {

struct ModelCheck {
  std::string model;  // the id RenderMart offers it under
  bool usable = false;
  std::string detail;   // what the service said: why it is not usable, or its state
  std::string warning;  // usable for now, but the service will retire it (empty: nothing to say)
};

}  // namespace rendermart
