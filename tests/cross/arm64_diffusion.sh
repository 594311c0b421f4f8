#!/usr/bin/env bash
# Compiles the diffusion engine (src/diffusion) for arm64 with Debian's cross compiler
# (g++-aarch64-linux-gnu) and the project's warnings as errors: x86 intrinsics must stay behind
# their compile-time guards, and the portable kernels must build where only they exist. Only
# compiles: linking needs libtorch for arm64, which a cross build here does not have (its headers
# are the same for every architecture).
set -euo pipefail
cd "$(dirname "$0")/../.."

compiler=aarch64-linux-gnu-g++
command -v "$compiler" >/dev/null || { echo "$compiler not installed (scripts/install-deps.sh installs it)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The host's header-only libraries and torch's headers, without the host's C library headers.
mkdir "$work/include"
for header in ATen c10 torch caffe2 spdlog fmt nlohmann utf8proc.h; do
  ln -s "/usr/include/$header" "$work/include/$header"
done

find src/diffusion -name '*.cpp' | sort | xargs -P "$(nproc)" -I{} sh -c '
  '"$compiler"' -std=c++20 -O1 -c -ffp-contract=off -Wall -Wextra -Wpedantic -Wshadow \
    -Wnon-virtual-dtor -Wold-style-cast -Wno-missing-field-initializers -Wno-psabi -Werror \
    -DRENDERMART_VERSION=\"cross\" -Isrc -isystem '"$work"'/include -o /dev/null {} \
  || { echo "arm64: {} does not compile"; exit 255; }'
echo "arm64: every file of src/diffusion compiles"
