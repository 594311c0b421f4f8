#!/usr/bin/env bash
# Checks of the deployment files (deploy/, skaffold.yaml, .github/workflows) and of what the
# images need, with Node's test runner. Environment: RENDERMART_BIN (the built binary).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bash "$repo/scripts/npm-install.sh" "$here"
# The Lambda tests reuse the integration tests' runtime API, which needs their packages.
bash "$repo/scripts/npm-install.sh" "$repo/tests"
cd "$repo"
node --test --test-concurrency=2 tests/deploy/*.test.mjs
