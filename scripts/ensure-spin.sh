#!/usr/bin/env bash
# Debian's spin model checker for test/models; prints its path. spin writes
# its verifier as C (pan.c), so a C compiler that can build a program is part
# of the tool: gcc is installed the same way when missing. spin has no
# --version: -V.
set -euo pipefail
here="$(dirname "$0")"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  bash "$here/ensure-apt-tool.sh" /usr/bin/gcc gcc >/dev/null
  cc=gcc
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <stdio.h>\nint main(void) { return 0; }\n' >"$probe/probe.c"
if ! "$cc" -o "$probe/probe" "$probe/probe.c" >/dev/null 2>&1; then
  echo "ensure-spin: $cc cannot build a C program (are the C library headers, Debian's libc6-dev, installed?)" >&2
  exit 1
fi
bash "$here/ensure-apt-tool.sh" "${PQRPC_SPIN:-/usr/bin/spin}" spin -V
