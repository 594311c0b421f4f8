#pragma once

// The local diffusion engine is linked into a binary or not: `rendermart` has it when libtorch is
// found at build time, `rendermart-slim` (the Lambda package, images that only use cloud models)
// never does. Each binary links exactly one of local_engine.cpp and no_local_engine.cpp, which
// define these.

#include "app/config.hpp"
#include "core/metrics.hpp"
#include "library/installed_models.hpp"
#include "services/model_catalog.hpp"

namespace rendermart {

// First thing in main, before any thread starts: process settings the engine needs (it may run
// the program again with them; see diffusion/runtime.hpp).
void prepare_local_engine(char** argv);

// Adds the `local` provider when config.models_dir is set, with its memory figures in `metrics`
// when given; without an engine, warns that no local models are offered.
void add_local_provider(ModelCatalog& catalog, const Config& config, Metrics* metrics);

// Whether this binary has the engine.
bool has_local_engine();

// How the engine judges a model folder or checkpoint of the model library (its family, or why
// it cannot run it); without an engine every model has that problem.
library::ModelChecker local_model_checker();

// One line for `rendermart version`.
const char* local_engine_description();

}  // namespace rendermart
