#!/usr/bin/env bash
# Installs what is missing, then configures and builds everything into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DRENDERMART_WERROR=ON
cmake --build build -j"$(nproc)"
