#!/usr/bin/env bash
# Every C++ file of the repository is formatted as .clang-format says (Debian's clang-format 14).
# A difference fails with the file and the line; `clang-format -i FILE` fixes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} C++ files formatted as .clang-format says"
