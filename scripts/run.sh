#!/usr/bin/env bash
# The one command to run RenderMart on a fresh Debian 12 machine: installs what is missing,
# builds, and starts `rendermart serve` on http://localhost:3300/ (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh serve
exec build/rendermart serve "$@"
