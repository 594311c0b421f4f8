#!/usr/bin/env bash
# npm ci in the given folder when its node_modules is missing or older than its lock file, so
# that repeated runs cost nothing.
set -euo pipefail
dir="$1"
stamp="$dir/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$dir/package-lock.json" -nt "$stamp" || "$dir/package.json" -nt "$stamp" ]]; then
  (cd "$dir" && npm ci --no-audit --no-fund)
fi
