#!/usr/bin/env bash
# Installs the Python peer of test/interop/python.test.ts into
# tools/python-peers and prints that directory:
#   venv/  a virtual environment with stock grpcio (its TLS is BoringSSL) and
#          grpcio-tools, pinned by test/interop/python/requirements.txt;
#   gen/   Python stubs that grpcio-tools generates from the repo's
#          proto/grpc/testing/*.proto, for the interop client in
#          test/interop/python/interop_client.py (run it with PYTHONPATH=gen).
#
# The stubs live under the Python package `pqrpc_interop`: the protos'
# own path, grpc/testing/, would make the generated modules `grpc.testing.*`,
# which the installed `grpc` package (grpcio) hides. So the protos are copied
# under pqrpc_interop/ with their imports adjusted; the protobuf package
# (grpc.testing) and so every name on the wire stay as they are.
#
# Wheels only (--only-binary): building grpcio from source takes most of an
# hour, so a platform without wheels fails at once instead. Quick when the
# install matches the Python version, requirements and protos; the first
# one downloads ~60 MB of wheels (well under a minute here).
# Exits non-zero with a one-line reason when it cannot: the test then fails
# with that reason (it skips only when `python3` itself is missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/test/interop/python/requirements.txt"
protos="$root/proto/grpc/testing"
out="$root/tools/python-peers"
venv="$out/venv"
gen="$out/gen"
package=pqrpc_interop

if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-python-peers: python3 is not on PATH: install Python 3.9 or later with venv and pip" >&2
  exit 1
fi

mkdir -p "$out"
# tools/ holds caches only: keep this one out of git without touching the repo's .gitignore.
printf '*\n' >"$out/.gitignore"
# One install at a time (two test runs may start together); the second waits, then finds it done.
# (flock is util-linux: on Debian always there; elsewhere run without the lock.)
exec 9>"$out/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

want="$(python3 --version 2>&1) $(cat "$requirements" "$protos"/*.proto "$0" | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$want" ]; then
  echo "$out"
  exit 0
fi

echo "ensure-python-peers: installing grpcio into $venv (one time)" >&2
rm -rf "$out/stamp" "$venv" "$gen" "$out/proto"
if ! python3 -m venv "$venv" >&2; then
  echo "ensure-python-peers: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
  exit 1
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
  --cache-dir "$out/pip-cache" --only-binary=:all: -r "$requirements" >&2

mkdir -p "$out/proto/$package/grpc/testing" "$gen"
for f in "$protos"/*.proto; do
  sed "s#^import \"grpc/testing/#import \"$package/grpc/testing/#" "$f" \
    >"$out/proto/$package/grpc/testing/$(basename "$f")"
done
(cd "$out/proto" && "$venv/bin/python" -m grpc_tools.protoc -I . \
  --python_out="$gen" --grpc_python_out="$gen" "$package"/grpc/testing/*.proto >&2)
# Smoke test: the stubs import against the installed grpcio and protobuf.
PYTHONPATH="$gen" "$venv/bin/python" -c "import grpc; from $package.grpc.testing import test_pb2_grpc" >&2

printf '%s' "$want" >"$out/stamp"
echo "$out"
