/**
 * Keeps `npm run bench:h2-cost` working: runs bench/h2-cost.ts in a very
 * short mode with every layer (raw node:http2 over node:tls and over our TLS
 * Duplex, pqrpc's gRPC/h2 path, pqrpc/1 frames) and checks that it exits
 * cleanly, prints a row per system and reports a measured figure for each.
 * No timing assertion: the figures depend on the machine.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard, not a speed check: four handshakes and a few hundred calls on a loaded machine. */
const RUN_TIMEOUT_MS = 180_000;
const SYSTEMS = ["http2-native", "http2-js", "pqrpc-h2", "pqrpc-frames"];

interface Row {
  readonly id: string;
  readonly rounds: number;
  readonly cpuUsPerCall: number;
  readonly callsPerSec: number;
  readonly mbPerCpuSecond: number;
  readonly mbPerSec: number;
}

it("bench:h2-cost runs every layer in short mode and reports per-call CPU and streaming MB per CPU-second", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-h2cost-smoke-"));
  try {
    const jsonPath = join(dir, "h2-cost.json");
    const { code, stdout, stderr } = await runBenchScript(
      "bench/h2-cost.ts",
      [],
      {
        PQRPC_H2COST_SYSTEMS: SYSTEMS.join(","),
        PQRPC_H2COST_ROUNDS: "1",
        PQRPC_H2COST_SCALE: "0.05",
        PQRPC_H2COST_JSON: jsonPath,
      },
      RUN_TIMEOUT_MS,
    );
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /CPU µs\/call/);
    const { rows } = JSON.parse(await readFile(jsonPath, "utf8")) as { rows: Row[] };
    assert.deepEqual(
      rows.map((r) => r.id),
      SYSTEMS,
    );
    for (const r of rows) {
      assert.match(stdout, new RegExp(`^${r.id} `, "m"), `${r.id} has a table row`);
      assert.equal(r.rounds, 1);
      for (const field of ["cpuUsPerCall", "callsPerSec", "mbPerCpuSecond", "mbPerSec"] as const) {
        assert.ok(Number.isFinite(r[field]) && r[field] > 0, `${r.id}.${field} = ${r[field]}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it("bench:h2-cost refuses an unknown system", async () => {
  const { code, stderr } = await runBenchScript(
    "bench/h2-cost.ts",
    [],
    { PQRPC_H2COST_SYSTEMS: "http2-native,no-such-system", PQRPC_H2COST_ROUNDS: "1" },
    RUN_TIMEOUT_MS,
  );
  assert.equal(code, 1);
  assert.match(stderr, /unknown system no-such-system/);
});
