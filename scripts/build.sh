#!/usr/bin/env bash
# Installs what is missing, then configures and builds everything into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DRENDERMART_WERROR=ON
cmake --build build -j"$(nproc)"

# The web app, served by `rendermart serve` from web/dist; rebuilt only when its sources changed.
bash scripts/npm-install.sh web
(
  cd web
  if [ ! -f dist/index.html ] || [ -n "$(find src public index.html package.json package-lock.json \
        vite.config.ts tailwind.config.js ../openapi/openapi.yaml -newer dist/index.html -print -quit)" ]; then
    npm run build
  fi
)
