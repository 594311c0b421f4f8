#!/usr/bin/env bash
# Packages `rendermart lambda` for the provided.al2023 runtime:
#   deploy/lambda/package.sh [BINARY] [ZIP]     (default: build/rendermart-slim, build/lambda/rendermart-lambda.zip)
# The binary is built on Debian 12, whose C library is newer than Amazon Linux 2023's, so the zip
# carries the binary with every shared library it loads, the C library and its loader included,
# and `bootstrap` starts it through that loader with only those libraries.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary="${1:-build/rendermart-slim}"
zip="$(realpath -m "${2:-build/lambda/rendermart-lambda.zip}")"
[[ -x "$binary" ]] || { echo "no executable at $binary: build first (scripts/build.sh)" >&2; exit 1; }
if grep -q libtorch <<< "$(ldd "$binary")"; then
  # Its libraries alone are over Lambda's limit of 250 MB unzipped.
  echo "$binary has the local diffusion engine (libtorch, about 530 MB of libraries): package build/rendermart-slim" >&2
  exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "$binary" "$stage/bin/rendermart"
strip --strip-debug "$stage/bin/rendermart"

loader=""
while read -r line; do
  # "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
  if [[ "$line" =~ =\>\ (/[^ ]+) ]]; then
    cp -L "${BASH_REMATCH[1]}" "$stage/lib/"
  elif [[ "$line" =~ ^(/[^ ]+ld-linux[^ ]*) ]]; then
    loader="$(basename "${BASH_REMATCH[1]}")"
    cp -L "${BASH_REMATCH[1]}" "$stage/lib/$loader"
  elif [[ "$line" == *"not found"* ]]; then
    echo "a library of $binary is missing here: $line" >&2
    exit 1
  fi
done < <(ldd "$binary")
[[ -n "$loader" ]] || { echo "ldd named no dynamic loader for $binary" >&2; exit 1; }

cat > "$stage/bootstrap" <<BOOTSTRAP
#!/bin/sh
# The Lambda custom runtime's entry point: rendermart through its own loader and libraries.
here="\$(dirname "\$0")"
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/bin/rendermart" lambda "\$@"
BOOTSTRAP
chmod 0755 "$stage/bootstrap" "$stage/bin/rendermart" "$stage/lib/$loader"

mkdir -p "$(dirname "$zip")"
rm -f "$zip"
# zip records the files' modes, so bootstrap stays executable when Lambda unpacks it.
(cd "$stage" && zip -q -r -X "$zip" bootstrap bin lib)
echo "$zip: $(du -h "$zip" | cut -f1)"
