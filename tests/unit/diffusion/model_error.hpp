#pragma once

// Runs f, which must throw Error(model_error), and returns the message (the tests check that it
// names what is wrong).

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace rendermart::diffusion::testing {

template <typename F>
std::string model_error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_error) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected Error(model_error)";
  return {};
}

}  // namespace rendermart::diffusion::testing
