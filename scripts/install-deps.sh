#!/usr/bin/env bash
# Installs the Debian packages RenderMart needs: `serve` (the default of scripts/run.sh) what
# building and running it needs, `test` also what its tests and benchmarks use.
# Idempotent: installs only what is missing, so a second run costs a few seconds.
set -euo pipefail
mode="${1:-test}"
case "$mode" in serve|test) ;; *) echo "usage: $0 [serve|test]" >&2; exit 2 ;; esac

packages=(
  build-essential cmake pkg-config git ca-certificates
  libboost-dev nlohmann-json3-dev libsqlite3-dev libssl-dev libsodium-dev
  libpng-dev libjpeg62-turbo-dev libwebp-dev libspdlog-dev libfmt-dev libcli11-dev
  libcurl4-openssl-dev libpq-dev
  # The local diffusion engine: libtorch (CPU), an optimised BLAS for its float32 matrix
  # products (Debian's libtorch otherwise uses the reference BLAS), utf8proc for the tokenizer.
  libtorch-dev libopenblas0-openmp libutf8proc-dev
)
if [ "$mode" = test ]; then
  packages+=(
    postgresql-15 libgtest-dev libgmock-dev libbenchmark-dev
    wrk curl chromium
    # The web app image's nginx, run by tests/deploy/nginx.test.mjs; zip packages the Lambda
    # function (deploy/lambda/package.sh).
    nginx-light zip unzip
    # A cross compiler, for the check that the engine compiles for arm64 (tests/cross).
    g++-aarch64-linux-gnu
    # The C++ formatting and clang-tidy checks (tests/format, tests/tidy).
    clang-format clang-tidy
  )
fi

# Node.js builds the web app (and runs the integration tests); a machine may already have one.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
