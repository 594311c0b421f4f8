#!/usr/bin/env bash
# Compiles the diffusion engine (src/diffusion) for arm64 with Debian's cross compiler
# (g++-aarch64-linux-gnu) and the compile options given as arguments (tests/CMakeLists.txt passes
# the project's, warnings as errors included): x86 intrinsics must stay behind their compile-time
# guards, and the portable kernels must build where only they exist. Only compiles: linking needs
# libtorch for arm64, which a cross build here does not have (its headers are the same for every
# architecture).
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

# -Wno-psabi: GCC's note that arm64 passes std::pair differently since GCC 10 is no warning of ours.
printf '%s\0' $(find src/diffusion -name '*.cpp' | sort) | xargs -0 -P "$(nproc)" -I{} \
  "$compiler" -std=c++20 -O1 -c "$@" -Wno-psabi -DRENDERMART_VERSION=\"cross\" \
  -DRENDERMART_CLIP_TOKENIZER_DIR="$PWD/assets/clip_tokenizer" -Isrc \
  -isystem "$work/include" -o /dev/null {}
echo "arm64: every file of src/diffusion compiles"
