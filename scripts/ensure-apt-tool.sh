#!/usr/bin/env bash
# Usage: ensure-apt-tool.sh BINARY DEBIAN_PACKAGE [VERSION_FLAG]
# Makes sure BINARY (an absolute path) from Debian's DEBIAN_PACKAGE is
# installed (it runs with VERSION_FLAG, default --version, and exits 0), and prints its path. Quick and silent when it is already there;
# otherwise installs the package with apt-get, without recommends and without
# starting its services (CI runs as root on Debian). Exits non-zero with a
# one-line reason when it cannot: the test that needs it then fails with that
# reason instead of skipping.
set -euo pipefail
bin="$1"
pkg="$2"
version_flag="${3:---version}"

works() { [ -x "$bin" ] && "$bin" "$version_flag" >/dev/null 2>&1; }

if ! works; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-apt-tool: $bin is missing and apt-get is not available (not Debian?): install $pkg yourself" >&2
    exit 1
  fi
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! sudo -n true >/dev/null 2>&1; then
      echo "ensure-apt-tool: $bin is missing and installing it needs root: run 'apt-get install -y $pkg' as root" >&2
      exit 1
    fi
    sudo_cmd=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "ensure-apt-tool: installing Debian's $pkg (one time)" >&2
  # A package's service must not start on install (prometheus would take port 9090): policy-rc.d says no.
  policy=/usr/sbin/policy-rc.d
  made_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    made_policy=true
  fi
  status=0
  { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$pkg"; } >&2 || status=$?
  if [ "$made_policy" = true ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
  if [ "$status" -ne 0 ]; then
    echo "ensure-apt-tool: apt-get install $pkg failed ($status)" >&2
    exit 1
  fi
fi

if ! works; then
  echo "ensure-apt-tool: $bin still does not run after installing $pkg" >&2
  exit 1
fi
echo "$bin"
