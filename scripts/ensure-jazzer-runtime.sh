#!/usr/bin/env bash
# Prints the directory of a C/C++ runtime under which jazzer.js's native
# libFuzzer addon loads, or nothing when the system's own runtime does.
#
# The addon that @jazzer.js/fuzzer 4 ships for linux-x64 needs glibc >= 2.38
# and libstdc++ from GCC >= 13; Debian 12 has glibc 2.36 and GCC 12. Then
# this unpacks Debian 13's libc6, libstdc++6 and libgcc-s1 (downloaded with
# apt-get from Debian's own archive, into a private apt state so the
# system's sources and packages stay as they are) into tools/jazzer-runtime,
# and node runs under that runtime's loader for fuzzing only
# (test/fuzz/run.ts). Exits non-zero with a reason when neither works.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node_bin="${1:-$(command -v node)}"
probe='require("@jazzer.js/fuzzer")'
if (cd "$root" && "$node_bin" -e "$probe") >/dev/null 2>&1; then exit 0; fi

dir="$root/tools/jazzer-runtime"
lib="$dir/root/usr/lib/x86_64-linux-gnu"
loads() { [ -x "$lib/ld-linux-x86-64.so.2" ] && (cd "$root" && "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$node_bin" -e "$probe") >/dev/null 2>&1; }
if ! loads; then
  if [ "$(uname -m)" != "x86_64" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-jazzer-runtime: the jazzer.js addon does not load and this is not x86_64 Debian" >&2
    exit 1
  fi
  echo "ensure-jazzer-runtime: fetching Debian 13's glibc and libstdc++ for jazzer.js (one time)" >&2
  rm -rf "$dir"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs" "$dir/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$dir/apt/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache" -o "APT::Sandbox::User=root"
  )
  apt-get "${apt_opts[@]}" update -qq >&2
  (cd "$dir/debs" && apt-get "${apt_opts[@]}" download -qq libc6 libstdc++6 libgcc-s1 >&2)
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  rm -rf "$dir/apt" "$dir/debs" "$dir/root/usr/share"
  if ! loads; then
    echo "ensure-jazzer-runtime: the jazzer.js addon does not load under $lib either" >&2
    exit 1
  fi
fi
echo "$lib"
