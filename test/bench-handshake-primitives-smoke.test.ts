/**
 * Keeps bench/handshake-primitives.ts working: a short run (a few ms per
 * operation) exits cleanly and reports a cost for every primitive. No
 * timing assertion.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard for a loaded machine, not a speed check. */
const RUN_TIMEOUT_MS = 120_000;
const PRIMITIVES = [
  "hmac-sha384",
  "hkdf-extract",
  "hkdf-expand-label",
  "finished mac",
  "key schedule",
  "transcript",
  "random",
  "client share",
  "server respond",
  "ml-dsa-65 sign",
  "ml-dsa-65 verify",
];

it("bench/handshake-primitives.ts reports a per-op cost for each handshake primitive", async () => {
  const { code, stdout, stderr } = await runBenchScript(
    "bench/handshake-primitives.ts",
    [],
    { PQRPC_PRIMS_BUDGET_MS: "5" },
    RUN_TIMEOUT_MS,
  );
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  assert.match(stdout, /^# handshake primitives on node v[\d.]+;/m);
  for (const name of PRIMITIVES) {
    assert.match(stdout, new RegExp(`${name}.*\\s[\\d.]+ (µs|ms)$`, "m"), `${name} in\n${stdout}`);
  }
});
