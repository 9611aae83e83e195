/**
 * Keeps `npm run bench:handshake` working: runs bench/handshake.ts at a tiny
 * scale (both sections: one handshake at a time, and saturation with a
 * cluster server and a separate client process) and checks that it exits
 * cleanly, prints both tables, and that every row completed real handshakes
 * without errors (saturation: from two client processes). No timing assertion: the figures depend on the machine.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import type { SaturationRow } from "../bench/handshake-saturation.ts";
import { type BenchRun, REPO_ROOT, runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard, not a speed check: ~20 process start-ups on a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 300_000;

interface Row {
  readonly runtime: string;
  readonly name: string;
  readonly samplesMs: number[];
  readonly bytesServerToClient: number;
  readonly resumedOk?: boolean;
  readonly error?: string;
}

function runBench(env: NodeJS.ProcessEnv): Promise<BenchRun> {
  return runBenchScript("bench/handshake.ts", [], env, RUN_TIMEOUT_MS);
}

function node24Available(): boolean {
  return (
    process.versions.node.startsWith("24.") ||
    Boolean(process.env["PQRPC_NODE24"]) ||
    existsSync(join(REPO_ROOT, "tools/node24/node_modules/.bin/node"))
  );
}

it("bench:handshake runs both sections end to end at a tiny scale", {
  timeout: RUN_TIMEOUT_MS + 10_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-bench-handshake-smoke-"));
  try {
    const jsonPath = join(dir, "results.json");
    const { code, stdout, stderr } = await runBench({
      PQRPC_BENCH_SCALE: "0.05",
      PQRPC_BENCH_SATURATION: "1",
      PQRPC_BENCH_SATURATION_CONCURRENCY: "8",
      PQRPC_BENCH_JSON: jsonPath,
    });
    assert.equal(code, 0, `bench:handshake failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /runtime\s+handshake\s+median ms/, "the one-at-a-time table is printed");
    assert.match(
      stdout,
      /Saturation: .*runtime\s+server \+ client\s+chain\s+hs\/s.*server CPU\/hs vs native same chain/s,
      "the saturation table is printed, with the server's CPU against native",
    );
    const { rows, saturation } = JSON.parse(await readFile(jsonPath, "utf8")) as {
      rows: Row[];
      saturation: SaturationRow[];
    };

    for (const r of rows) {
      assert.equal(r.error, undefined, `${r.runtime} ${r.name}: ${r.error}`);
      assert.ok(r.samplesMs.length > 0, `${r.runtime} ${r.name}: timed handshakes`);
      assert.notEqual(r.resumedOk, false, `${r.runtime} ${r.name}: resumed`);
    }
    const names = new Set(rows.map((r) => r.name));
    for (const name of [
      "pqrpc full (auto)",
      "pqrpc full ML-DSA-44 (auto)",
      "pqrpc resumption (auto)",
      "pqrpc full (auto, pool refilled between handshakes)",
      "pqrpc resumption (auto, pool refilled between handshakes)",
    ])
      assert.ok(names.has(name), `row ${name}`);
    // An ML-DSA-44 chain is smaller on the wire than ML-DSA-65 (1312 + 2420 vs 1952 + 3309 bytes per certificate).
    const s2c = (name: string) => rows.find((r) => r.name === name)!.bytesServerToClient;
    assert.ok(
      s2c("pqrpc full ML-DSA-44 (auto)") < s2c("pqrpc full (auto)"),
      "ML-DSA-44 row sends the ML-DSA-44 chain",
    );

    const expectNative = node24Available();
    if (expectNative)
      for (const name of [
        "native TLS full (ECDSA P-256)",
        "native TLS full (ML-DSA-65)",
        "native TLS full (ML-DSA-44)",
      ])
        assert.ok(names.has(name), `row ${name}`);

    const key = (r: SaturationRow) => `${r.impl} ${r.chain} ${r.runtime}`;
    const runtimes = new Set(rows.map((r) => r.runtime));
    const expected = [
      ...[...runtimes].flatMap((rt) => ["ML-DSA-65", "ML-DSA-44"].map((c) => `pqrpc ${c} ${rt}`)),
      ...(expectNative ? ["ECDSA P-256", "ML-DSA-65", "ML-DSA-44"].map((c) => `native ${c} node v24`) : []),
    ];
    for (const want of expected)
      assert.ok(
        saturation.some((r) => key(r).startsWith(want)),
        `saturation row ${want} (have: ${saturation.map(key).join(", ")})`,
      );
    for (const r of saturation) {
      assert.equal(r.error, undefined, `${key(r)}: ${r.error}`);
      assert.equal(r.workers, availableParallelism(), `${key(r)}: one server worker per core`);
      assert.equal(r.clients, 2, `${key(r)}: driven by the default two client processes`);
      assert.ok(r.handshakes > 0 && r.serverHandshakes > 0, `${key(r)}: handshakes completed on both ends`);
      assert.equal(r.errors, 0, `${key(r)}: ${r.detail}`);
      assert.ok(
        r.clientCpuSeconds > 0 && r.serverCpuSeconds > 0,
        `${key(r)}: CPU measured in both processes`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
