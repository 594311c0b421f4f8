#!/usr/bin/env bash
# Runs the black-box integration tests against the real binary.
#   tests/integration/run.sh [node --test options] [test files]   (default: every *.test.mjs here)
# Environment: RENDERMART_BIN (default <repo>/build/rendermart), RENDERMART_KEEP_LOGS=1 (keep
# server logs in <repo>/test-output/ even when tests pass).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tests_dir="$(dirname "$here")"
repo="$(dirname "$tests_dir")"

bash "$repo/scripts/npm-install.sh" "$tests_dir"

cd "$repo"
# Arguments starting with "-" go to node --test; others name test files (default: all of them).
options=()
files=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then options+=("$arg"); else files+=("$arg"); fi
done
if [[ ${#files[@]} -eq 0 ]]; then
  shopt -s nullglob
  files=(tests/integration/*.test.mjs)
fi
status=0
node --test --test-concurrency=2 "${options[@]}" "${files[@]}" || status=$?
exit "$status"
