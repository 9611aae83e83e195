/**
 * Keeps `npm run bench:rpc` working: runs bench/rpc.ts in a very short mode
 * with two systems (pqrpc over pqrpc/1 on PQ TLS, grpc-js plaintext), each
 * client and server in its own process, and checks that it exits cleanly,
 * prints the table, and measured real traffic without errors; with a tiny
 * connections axis (1 and 3 connections) whose rows must be there, with
 * every field, and whose server must have seen each connection. No timing
 * or memory assertion: the figures depend on the machine.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { type BenchRun, runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard, not a speed check: start-up of 5 processes on a loaded machine, plus measuring windows that extend until they have samples. */
const RUN_TIMEOUT_MS = 300_000;
const SYSTEMS = ["pqrpc-frames", "grpc-js"];
const CONNECTIONS = [1, 3];

interface ConnectionsSummary {
  readonly connections: number;
  readonly concurrency: number;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerCall: number;
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
  readonly serverConnections: number;
  readonly openMs: number;
  readonly errors: number;
}

interface Summary {
  readonly id: string;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly mbPerSec: number;
  readonly errors: number;
  readonly info: Record<string, string>;
  readonly connections: readonly ConnectionsSummary[];
}

function runBench(env: NodeJS.ProcessEnv): Promise<BenchRun> {
  // SIGTERM makes the bench kill its workers before it exits.
  return runBenchScript("bench/rpc.ts", [], env, RUN_TIMEOUT_MS, "SIGTERM");
}

it("bench:rpc runs end to end in short mode with two systems and a tiny connections axis", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-bench-smoke-"));
  try {
    const jsonPath = join(dir, "results.json");
    const { code, stdout, stderr } = await runBench({
      PQRPC_BENCH_SCALE: "0.1",
      PQRPC_BENCH_ROUNDS: "1",
      PQRPC_BENCH_SYSTEMS: SYSTEMS.join(","),
      PQRPC_BENCH_JSON: jsonPath,
      PQRPC_BENCH_CONNECTIONS: CONNECTIONS.join(","),
    });
    assert.equal(code, 0, `bench:rpc failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /system\s+node\s+calls\/s/, "the table header is printed");
    assert.match(
      stdout,
      /system\s+node\s+conns\s+in flight\s+calls\/s.*heap KiB\/conn\s+rss KiB\/conn\s+server conns/,
      "the connections table header is printed",
    );
    // One row per system and connection count: label, node, then the count.
    for (const n of CONNECTIONS) {
      assert.match(stdout, new RegExp(`^pqrpc pqrpc/1 PQ TLS\\s+v\\S+\\s+${n}\\s+64\\s`, "m"));
      assert.match(stdout, new RegExp(`^grpc-js plaintext\\s+v\\S+\\s+${n}\\s+64\\s`, "m"));
    }
    const summaries = JSON.parse(await readFile(jsonPath, "utf8")) as Summary[];
    assert.deepEqual(
      summaries.map((s) => s.id),
      SYSTEMS,
    );
    for (const s of summaries) {
      assert.equal(s.errors, 0, `${s.id}: no failed calls`);
      assert.ok(s.callsPerSec > 0, `${s.id}: unary calls completed`);
      assert.ok(s.p50Ms > 0 && s.p99Ms >= s.p50Ms, `${s.id}: latency percentiles are ordered`);
      assert.ok(s.mbPerSec > 0, `${s.id}: streamed payload bytes`);
      assert.deepEqual(
        s.connections.map((c) => c.connections),
        CONNECTIONS,
        `${s.id}: a connections row per count`,
      );
      for (const c of s.connections) {
        const at = `${s.id} over ${c.connections}`;
        assert.equal(c.errors, 0, `${at}: no failures`);
        assert.ok(c.serverConnections >= c.connections, `${at}: the server saw every connection`);
        assert.equal(c.concurrency, 64, `${at}: 64 calls in flight below 64 connections`);
        assert.ok(c.callsPerSec > 0, `${at}: calls completed`);
        assert.ok(c.p50Ms > 0 && c.p99Ms >= c.p50Ms, `${at}: latency percentiles are ordered`);
        assert.ok(c.cpuUsPerCall > 0 && c.openMs > 0, `${at}: CPU and opening time measured`);
        // Memory per connection may be negative on a small count (GC noise): only that it was measured.
        assert.ok(
          Number.isFinite(c.heapPerConnection) && Number.isFinite(c.rssPerConnection),
          `${at}: memory`,
        );
      }
    }
    const pqrpc = summaries[0]!;
    assert.equal(pqrpc.info["alpn"], "pqrpc/1");
    assert.equal(pqrpc.info["group"], "X25519MLKEM768", "pqrpc runs over the hybrid PQ key exchange");
    assert.equal(pqrpc.info["signature"], "ml-dsa-65");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
