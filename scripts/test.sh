#!/usr/bin/env bash
# The test command named in the README: build, type-check, lint, then every
# test file on this machine's Node and again on Node 24 (native PQ crypto, and
# the runtime whose OpenSSL 3.5 is the interop peer). Both runtimes always
# run; the command fails if either failed.
set -euo pipefail
cd "$(dirname "$0")/.."
node24="$(bash scripts/ensure-node24.sh)"
export PQRPC_NODE24="$node24"

echo "== build"
node scripts/build.mjs
echo "== typecheck"
npx tsc --noEmit -p .
echo "== lint"
npx biome check .

mapfile -t files < <(find src test packages/*/src -name '*.test.ts' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi

# Tests run one file at a time per runtime: the machine has 2 cores and the
# interop tests spawn peer processes of their own. No single test may run
# longer than TEST_TIMEOUT_MS: a hang fails that test instead of eating CI's
# budget (the slowest tests, package installs and real peers, take ~2 min).
TEST_TIMEOUT_MS=600000
failed=()
echo "== tests on $(node --version)"
node --import tsx --test --test-concurrency=1 --test-timeout="$TEST_TIMEOUT_MS" "${files[@]}" || failed+=("$(node --version)")
echo "== tests on $("$node24" --version)"
"$node24" --import tsx --test --test-concurrency=1 --test-timeout="$TEST_TIMEOUT_MS" "${files[@]}" || failed+=("$("$node24" --version)")

if [ "${#failed[@]}" -gt 0 ]; then
  echo "== FAILED on: ${failed[*]}" >&2
  exit 1
fi
echo "== passed on $(node --version) and $("$node24" --version)"
