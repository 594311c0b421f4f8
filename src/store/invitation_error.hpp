#pragma once

#include "core/error.hpp"

namespace rendermart {

// What every Store answers to a registration whose invitation code is unknown, used or expired.
inline Error invalid_invitation() {
  return Error(ErrorCode::forbidden,
               "this invitation code is not valid (unknown, already used or expired): ask an "
               "administrator for a new one",
               "invite");
}

}  // namespace rendermart
