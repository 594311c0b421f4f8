#!/usr/bin/env bash
# Installs what is missing, then configures and builds into ./build: `serve` only the server
# binary and the web app (what scripts/run.sh needs), `test` (the default) everything, tests and
# benchmarks included.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"
case "$mode" in serve|test) ;; *) echo "usage: $0 [serve|test]" >&2; exit 2 ;; esac

bash scripts/install-deps.sh "$mode"
if [ "$mode" = serve ]; then
  # Tests need GoogleTest, which serving does not install; a build folder configured for tests
  # keeps them (only the server is built here).
  testing=$(sed -n 's/^BUILD_TESTING:BOOL=//p' build/CMakeCache.txt 2>/dev/null || true)
  cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DRENDERMART_WERROR=ON \
    -DBUILD_TESTING="${testing:-OFF}"
  cmake --build build -j"$(nproc)" --target rendermart
else
  cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DRENDERMART_WERROR=ON \
    -DBUILD_TESTING=ON
  cmake --build build -j"$(nproc)"
fi

# The web app, served by `rendermart serve` from web/dist; rebuilt only when its sources changed.
bash scripts/npm-install.sh web
(
  cd web
  if [ ! -f dist/index.html ] || [ -n "$(find src public index.html package.json package-lock.json \
        vite.config.ts tailwind.config.js ../openapi/openapi.yaml -newer dist/index.html -print -quit)" ]; then
    npm run build
  fi
)
