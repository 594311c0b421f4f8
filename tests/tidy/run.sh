#!/usr/bin/env bash
# The C++ of the layers below the API passes clang-tidy (Debian's clang-tidy 14) with the checks
# that .clang-tidy names; a finding fails with the file, the line and the check.
#   bash tests/tidy/run.sh BUILD_DIR [FOLDER...]
# BUILD_DIR holds compile_commands.json. The test command checks src/core, src/store and
# src/services (about three minutes on two cores); name other folders under src/ to check them.
# clang-tidy 14 cannot parse the Asio coroutines of src/http with GCC's flags.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: run.sh BUILD_DIR [FOLDER...]}
shift
[ $# -gt 0 ] || set -- src/core src/store src/services
[ -f "$build/compile_commands.json" ] || {
  echo "no $build/compile_commands.json: configure the build first (scripts/build.sh)" >&2
  exit 2
}
mapfile -t files < <(for folder in "$@"; do git ls-files "$folder/*.cpp"; done)
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet
echo "${#files[@]} C++ files in $* pass clang-tidy"
