#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed for the browser test
# (test/browser), and prints the path of its binary. Quick and silent when it
# is already there; otherwise installs it with apt-get (CI runs as root on
# Debian). Exits non-zero with a one-line reason when it cannot: the browser
# test then fails with that reason instead of skipping.
set -euo pipefail
bin="${PQRPC_CHROMIUM:-/usr/bin/chromium}"

works() { [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; }

if ! works; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $bin is missing and apt-get is not available (not Debian?): install chromium yourself" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo -n)
    if ! sudo -n true >/dev/null 2>&1; then
      echo "ensure-chromium: $bin is missing and installing it needs root: run 'apt-get install -y chromium' as root" >&2
      exit 1
    fi
  else
    sudo_cmd=()
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "ensure-chromium: installing Debian's chromium (one time)" >&2
  "${sudo_cmd[@]}" apt-get update -qq >&2
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
fi

if ! works; then
  echo "ensure-chromium: $bin still does not run after installation" >&2
  exit 1
fi
echo "$bin"
