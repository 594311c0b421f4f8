#!/usr/bin/env bash
# Whether the backend image's runtime stage has every shared library that the binary loads:
#   tests/deploy/check_runtime_libs.sh BINARY PACKAGE_LIST
# For each library that `ldd BINARY` resolves, the Debian package that ships it (dpkg -S) must be
# in PACKAGE_LIST (what the runtime stage installs, deploy/docker/runtime-packages.txt) or of
# priority "required" (in every Debian base image). Every listed package must be installed here,
# so that a typo cannot pass. Prints each problem and exits 1 when there is one.
set -euo pipefail

binary="$1"
list="$2"
mapfile -t listed < <(sed -e 's/#.*//' "$list" | awk 'NF { print $1 }')
problems=0

for package in "${listed[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    echo "$list names $package, which is not a Debian package installed here"
    problems=1
  fi
done

mapfile -t libraries < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }')
if ldd "$binary" | grep -q "not found"; then
  ldd "$binary" | grep "not found"
  exit 1
fi

# The package of a file; Debian 12 merges /lib into /usr/lib, and dpkg knows each file under one
# of the two names, and links under the name of the link.
owner() {
  local file="$1" real
  real="$(readlink -f "$file")"
  for candidate in "$file" "${file#/usr}" "/usr$file" "$real" "${real#/usr}" "/usr$real"; do
    if result="$(dpkg -S "$candidate" 2>/dev/null)"; then
      result="${result%%: *}"
      result="${result%%,*}"
      echo "${result%%:*}"
      return 0
    fi
  done
  return 1
}

for library in "${libraries[@]}"; do
  if ! package="$(owner "$library")"; then
    echo "$library comes from no Debian package: the runtime image cannot install it"
    problems=1
    continue
  fi
  if ! printf '%s\n' "${listed[@]}" | grep -qx "$package"; then
    echo "$binary loads $library from $package, which $list does not install"
    problems=1
  fi
done
exit "$problems"
