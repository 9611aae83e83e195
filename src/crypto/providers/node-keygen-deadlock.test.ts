/**
 * Regression test for a deadlock in Node 20's node:crypto (see generateOkpPair
 * in node-raw-keys.ts): exporting a key fresh from generateKeyPairSync as JWK
 * holds the key's mutex while allocating, and a garbage collection there that
 * finalizes the pair's key generation job takes the same mutex in the job's
 * destructor. The thread then sleeps forever. It depends on where collections
 * fall, so the test runs many X25519 key generations and encapsulations (the
 * two that make a key pair in every handshake), keeping recent results alive
 * as a server keeps its handshakes (which moves the jobs' wrappers to the old
 * generation; the old code deadlocked in each of six such runs, after 5,000 to 48,700 rounds).
 *
 * It runs in a child process, which can be killed when it stops: a thread in
 * that wait cannot be terminated. The child reports every 100 rounds; the test
 * fails on a report overdue by STALL_MS, which is thousands of times longer
 * than 100 rounds take, so it measures progress, not speed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";

const ROUNDS = 60_000;
const STALL_MS = 60_000;
const KEM_MODULE = new URL("./node-kem.ts", import.meta.url).href;

const CHILD = `
import { writeSync } from "node:fs";
const { nodeKem } = await import(${JSON.stringify(KEM_MODULE)});
const kem = nodeKem("x25519");
const keep = [];
for (let i = 1; i <= ${ROUNDS}; i++) {
  const { publicKey } = kem.generateKeyPair();
  keep.push(publicKey, kem.encapsulate(publicKey).ciphertext);
  if (keep.length > 1000) keep.length = 0;
  if (i % 100 === 0) writeSync(1, i + "\\n");
}
`;

describe("node provider X25519 key generation (Node 20 JWK export deadlock)", () => {
  it(`${ROUNDS} key pairs and encapsulations in one process never stop`, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", CHILD], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let done = 0;
    let lastProgress = Date.now();
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = chunk.trim().split("\n");
      done = Number(lines[lines.length - 1]);
      lastProgress = Date.now();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    let stalled = false;
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress < STALL_MS) return;
      stalled = true;
      child.kill("SIGKILL");
    }, 1000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    clearInterval(watchdog);
    assert.equal(stalled, false, `no progress for ${STALL_MS / 1000} s after ${done} rounds: deadlocked`);
    assert.equal(code, 0, stderr);
    assert.equal(done, ROUNDS);
  });
});
