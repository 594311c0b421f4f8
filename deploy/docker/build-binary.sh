#!/usr/bin/env bash
# Builds one backend binary for an image and strips its debug information:
#   deploy/docker/build-binary.sh TARGET OUTPUT
# TARGET is rendermart-slim (rendermart-backend: no local engine, no libtorch) or rendermart
# (rendermart-worker). Configured as scripts/build.sh serve configures ./build, but only TARGET
# and what it links are compiled: the api image never waits for the engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ $# -ne 2 || ! "$1" =~ ^rendermart(-slim)?$ ]]; then
  echo "usage: $0 rendermart-slim|rendermart OUTPUT" >&2
  exit 2
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DRENDERMART_WERROR=ON \
  -DBUILD_TESTING=OFF
cmake --build build -j"$(nproc)" --target "$1"
strip --strip-debug -o "$2" "build/$1"
