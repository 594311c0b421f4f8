#!/usr/bin/env bash
# Whether a backend image has every shared library that its binary loads:
#   tests/deploy/check_runtime_libs.sh BINARY PACKAGE_LIST [PACKAGE_LIST...]
# rendermart-backend: build/rendermart-slim with deploy/docker/runtime-packages.txt;
# rendermart-worker: build/rendermart with that list and runtime-packages-engine.txt.
# For each library that `ldd BINARY` resolves, the Debian package that ships it (dpkg -S) must be
# in the lists (what the image installs) or among the packages that apt installs with them (their
# Depends and Pre-Depends, recursively, as installed here). Every listed package must be
# installed here, so that a typo cannot pass.
# Prints each problem and exits 1 when there is one.
set -euo pipefail

binary="$1"
shift
printf -v list '%s + ' "$@"
list="${list% + }"
mapfile -t listed < <(sed -e 's/#.*//' "$@" | awk 'NF { print $1 }')
problems=0

installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${listed[@]}" 2>/dev/null | awk '/install ok installed/ { print $1 }' || true)"
for package in "${listed[@]}"; do
  if ! grep -qx -- "$package" <<< "$installed"; then
    echo "$list names $package, which is not a Debian package installed here"
    problems=1
  fi
done

# What `apt-get install --no-install-recommends` brings with the listed packages: their
# dependencies, recursively; of alternatives ("a | b"), the first one installed here.
declare -A installed_with_list
while read -r package; do installed_with_list[$package]=1; done < <(
  dpkg-query -W -f='${Package}\t${Status}\t${Pre-Depends}, ${Depends}\n' | awk -F'\t' -v roots="${listed[*]}" '
    $2 ~ /install ok installed/ { installed[$1] = 1; depends[$1] = $3 }
    END {
      n = split(roots, queue, " ")
      for (i = 1; i <= n; i++) seen[queue[i]] = 1
      for (i = 1; i <= n; i++) {
        count = split(depends[queue[i]], clauses, ",")
        for (c = 1; c <= count; c++) {
          alternatives = split(clauses[c], alternative, "|")
          for (a = 1; a <= alternatives; a++) {
            name = alternative[a]
            sub(/\(.*/, "", name); gsub(/[ \t]/, "", name); sub(/:.*/, "", name)
            if (name != "" && name in installed) {
              if (!(name in seen)) { seen[name] = 1; queue[++n] = name }
              break
            }
          }
        }
      }
      for (name in seen) print name
    }')

loaded="$(ldd "$binary")"
if grep "not found" <<< "$loaded"; then exit 1; fi
mapfile -t libraries < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' <<< "$loaded")

# Debian 12 merges /lib into /usr/lib, and dpkg knows each file under one of the two names, and
# links under the name of the link: each library is looked up under all of its names, with one
# dpkg -S for all of them (each call reads the whole package database).
declare -A names_of
candidates=()
for library in "${libraries[@]}"; do
  real="$(readlink -f "$library")"
  names_of[$library]="$library ${library#/usr} /usr$library $real ${real#/usr} /usr$real"
  read -ra names <<< "${names_of[$library]}"
  candidates+=("${names[@]}")
done
declare -A package_of
while IFS= read -r line; do
  # "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1" (or "pkg1, pkg2: path" for shared paths)
  package="${line%%: /*}"
  package="${package%%,*}"
  package_of["/${line#*: /}"]="${package%%:*}"
done < <(dpkg -S "${candidates[@]}" 2>/dev/null || true)

for library in "${libraries[@]}"; do
  package=""
  read -ra names <<< "${names_of[$library]}"
  for name in "${names[@]}"; do
    if [[ -n "${package_of[$name]:-}" ]]; then
      package="${package_of[$name]}"
      break
    fi
  done
  if [[ -z "$package" ]]; then
    echo "$library comes from no Debian package: the runtime image cannot install it"
    problems=1
    continue
  fi
  if [[ -z "${installed_with_list[$package]:-}" ]]; then
    echo "$binary loads $library from $package, which $list does not install"
    problems=1
  fi
done
exit "$problems"
