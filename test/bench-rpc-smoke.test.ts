/**
 * Keeps `npm run bench:rpc` working: runs bench/rpc.ts in a very short mode
 * with two systems (pqrpc over pqrpc/1 on PQ TLS, grpc-js plaintext), each
 * client and server in its own process, and checks that it exits cleanly,
 * prints the table, and measured real traffic without errors. No timing
 * assertion: the figures depend on the machine.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** A hang guard, not a speed check: start-up of 5 processes on a loaded machine, plus measuring windows that extend until they have samples. */
const RUN_TIMEOUT_MS = 300_000;
const SYSTEMS = ["pqrpc-frames", "grpc-js"];

interface Summary {
  readonly id: string;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly mbPerSec: number;
  readonly errors: number;
  readonly info: Record<string, string>;
}

function runBench(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/rpc.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // SIGTERM makes the bench kill its workers before it exits.
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`bench:rpc still running after ${RUN_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

it("bench:rpc runs end to end in short mode with two systems", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-bench-smoke-"));
  try {
    const jsonPath = join(dir, "results.json");
    const { code, stdout, stderr } = await runBench({
      PQRPC_BENCH_SCALE: "0.1",
      PQRPC_BENCH_ROUNDS: "1",
      PQRPC_BENCH_SYSTEMS: SYSTEMS.join(","),
      PQRPC_BENCH_JSON: jsonPath,
    });
    assert.equal(code, 0, `bench:rpc failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /system\s+node\s+calls\/s/, "the table header is printed");
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
    }
    const pqrpc = summaries[0]!;
    assert.equal(pqrpc.info["alpn"], "pqrpc/1");
    assert.equal(pqrpc.info["group"], "X25519MLKEM768", "pqrpc runs over the hybrid PQ key exchange");
    assert.equal(pqrpc.info["signature"], "ml-dsa-65");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
