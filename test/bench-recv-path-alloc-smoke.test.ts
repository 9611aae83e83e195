/**
 * Keeps bench/recv-path-alloc.ts working: a tiny transfer, once with the
 * reused read buffer and once without, must exit cleanly and report every
 * figure as a finite number. No figure is checked against a bound: they
 * depend on the machine.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard, not a speed check: two process start-ups and 4 small transfers on a loaded machine. */
const RUN_TIMEOUT_MS = 120_000;

for (const args of [[], ["--no-reuse"]]) {
  it(`bench/recv-path-alloc.ts ${args.join(" ") || "(reused read buffer)"} runs and reports`, async () => {
    const run = await runBenchScript(
      "bench/recv-path-alloc.ts",
      ["--mib", "1", "--rounds", "1", "--json", ...args],
      {},
      RUN_TIMEOUT_MS,
    );
    assert.equal(run.code, 0, run.stderr);
    const json = run.stdout.split("\n").find((line) => line.startsWith("{"));
    assert.ok(json, run.stdout);
    const result = JSON.parse(json) as Record<string, unknown>;
    assert.equal(result["reuse"], args.length === 0);
    for (const key of ["bytesAllocatedPerPayloadByte", "cpuMsPerMib", "mbPerSecond"]) {
      const value = result[key];
      assert.ok(typeof value === "number" && Number.isFinite(value) && value > 0, `${key}: ${value}`);
    }
    assert.match(run.stdout, /bytes allocated per payload byte: \d/);
    assert.match(run.stdout, /client CPU ms per MiB: \d/);
  });
}
