#!/usr/bin/env bash
# Builds grpc-go's own interop client and server
# (google.golang.org/grpc/interop/client and .../interop/server) into
# tools/go-peers/bin and prints that directory. They are the Go peers of
# test/interop/go.test.ts: grpc-go over Go's crypto/tls, which offers
# X25519MLKEM768 by default since Go 1.24.
#
# The version is pinned by test/interop/go/go.mod (`tool` directives) and
# every module's checksum by its go.sum; -mod=readonly makes a mismatch an
# error instead of an update. Everything Go writes (module cache, build
# cache) stays under tools/go-peers. Quick when the binaries were already
# built from the same go.mod, go.sum, Go version and this script; the first
# build downloads ~40 modules and compiles them (1-3 minutes on 2 cores).
# Exits non-zero with a one-line reason when it cannot: the test then fails
# with that reason (it skips only when `go` itself is missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
module="$root/test/interop/go"
out="$root/tools/go-peers"
bin="$out/bin"
client="$bin/grpc-go-interop-client"
server="$bin/grpc-go-interop-server"

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-go-peers: go is not on PATH: install Go 1.26 or later" >&2
  exit 1
fi

mkdir -p "$out"
# tools/ holds caches only: keep this one out of git without touching the repo's .gitignore.
printf '*\n' >"$out/.gitignore"
# One build at a time (two test runs may start together); the second waits, then finds it done.
# (flock is util-linux: on Debian always there; elsewhere run without the lock.)
exec 9>"$out/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

want="$(go version) $(cat "$module/go.mod" "$module/go.sum" "$0" | sha256sum | cut -d' ' -f1)"
if [ -x "$client" ] && [ -x "$server" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$want" ]; then
  echo "$bin"
  exit 0
fi

export GOPATH="$out/gopath"
export GOMODCACHE="$out/gopath/pkg/mod"
export GOCACHE="$out/cache"
export GOTOOLCHAIN=local
export GOWORK=off
export CGO_ENABLED=0
export GOFLAGS="-mod=readonly -modcacherw -buildvcs=false"

echo "ensure-go-peers: building grpc-go's interop client and server (one time, a few minutes)" >&2
rm -f "$out/stamp"
cd "$module"
go build -trimpath -o "$client.tmp" google.golang.org/grpc/interop/client
go build -trimpath -o "$server.tmp" google.golang.org/grpc/interop/server
mv "$client.tmp" "$client"
mv "$server.tmp" "$server"
printf '%s' "$want" >"$out/stamp"
echo "$bin"
