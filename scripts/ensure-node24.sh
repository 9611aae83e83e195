#!/usr/bin/env bash
# Installs Node 24 (which bundles OpenSSL 3.5) from the npm package `node@24`
# into tools/node24, and prints the path of its binary. Node 24 is both the
# real-peer for TLS interop (its `tls` module is OpenSSL) and the second
# runtime the tests run on (native ML-KEM / ML-DSA / SLH-DSA in node:crypto).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/tools/node24/node_modules/.bin/node"
if [ ! -x "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
  (cd "$root/tools/node24" && npm ci --no-audit --no-fund >&2)
fi
"$bin" --version >/dev/null
echo "$bin"
