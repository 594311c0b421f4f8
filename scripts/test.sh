#!/usr/bin/env bash
# The one command to test RenderMart on a fresh Debian 12 machine: installs what is missing,
# builds, and runs every test (unit and integration) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh test
# The tests' Node packages (the S3 test server, the SigV4 cross-check, OpenAPI validation).
bash scripts/npm-install.sh tests
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900 "$@"
