#!/usr/bin/env bash
# Web app checks for ctest: API types in sync with openapi/openapi.yaml, type check + lint +
# production build + JS budget, Vitest component tests, then Playwright end-to-end tests in
# Debian's chromium against the real binary (RENDERMART_BIN). Screenshots go to test-output/web/.
set -euo pipefail
cd "$(dirname "$0")/../../web"

bash ../scripts/npm-install.sh .

npm run build
npm test

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "tests/web: chromium is not installed (apt-get install chromium); cannot run the end-to-end tests" >&2
  exit 1
fi
RENDERMART_BIN="${RENDERMART_BIN:-../build/rendermart}" npm run test:e2e
