#include "golden.hpp"

namespace {

// Registered before main runs: every test sees the engine's runtime configured.
[[maybe_unused]] auto* const environment =
    ::testing::AddGlobalTestEnvironment(new rendermart::diffusion::testing::RuntimeEnvironment);

}  // namespace
