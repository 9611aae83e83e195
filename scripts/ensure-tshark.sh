#!/usr/bin/env bash
# Debian's tshark for test/ops (it decrypts a loopback capture with the key log); prints its path.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-apt-tool.sh" "${PQRPC_TSHARK:-/usr/bin/tshark}" tshark
