#!/usr/bin/env bash
# Debian's spin model checker for test/models (it writes pan.c, which gcc
# builds into the verifier); prints its path. spin has no --version: -V.
set -euo pipefail
if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
  echo "ensure-spin: spin's verifiers are C programs and no C compiler (${CC:-gcc}) is on PATH" >&2
  exit 1
fi
exec bash "$(dirname "$0")/ensure-apt-tool.sh" "${PQRPC_SPIN:-/usr/bin/spin}" spin -V
