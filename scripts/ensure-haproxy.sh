#!/usr/bin/env bash
# Debian's HAProxy for test/fleet (three pqrpc serve processes behind it); prints its path.
# HAProxy answers -v, not --version.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-apt-tool.sh" "${PQRPC_HAPROXY:-/usr/sbin/haproxy}" haproxy -v
