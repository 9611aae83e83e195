#!/usr/bin/env bash
# Debian's Prometheus server for test/ops (it scrapes `pqrpc serve --metrics`); prints its path.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-apt-tool.sh" "${PQRPC_PROMETHEUS:-/usr/bin/prometheus}" prometheus
