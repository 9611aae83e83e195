/**
 * Keeps bench/handshake-profile.ts working: a few in-memory handshakes with
 * the key-share pool and the CPU profiler on; checks that it exits cleanly,
 * reports, wrote a V8 profile, and that the caches it is meant to show were
 * used (the trust store answered from its verified-signature cache, the
 * pool handed out shares). No timing assertion.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { type BenchRun, runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard for a loaded machine, not a speed check. */
const RUN_TIMEOUT_MS = 120_000;
const HANDSHAKES = 5;

function run(mode: string, env: NodeJS.ProcessEnv): Promise<BenchRun> {
  return runBenchScript("bench/handshake-profile.ts", [mode, String(HANDSHAKES)], env, RUN_TIMEOUT_MS);
}

for (const mode of ["full", "resume"]) {
  it(`bench/handshake-profile.ts ${mode}: reports, profiles, and uses the caches`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "pqrpc-hs-profile-"));
    try {
      const profile = join(dir, "out.cpuprofile");
      const { code, stdout, stderr } = await run(mode, { PQRPC_HS_POOL: "1", PQRPC_HS_PROFILE: profile });
      assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
      assert.match(
        stdout,
        new RegExp(
          `^${mode}: ${HANDSHAKES} handshakes on node v[\\d.]+; critical path [\\d.]+ ms wall, [\\d.]+ ms CPU;`,
          "m",
        ),
      );
      const trust = JSON.parse(/trust store: (\{.*\})/.exec(stdout)?.[1] ?? "null") as {
        signatureVerifications: number;
        signatureCacheHits: number;
      } | null;
      assert.ok(trust, stdout);
      if (mode === "full") {
        assert.equal(trust.signatureVerifications, 1, "the server chain's signature verified once");
        assert.ok(trust.signatureCacheHits >= HANDSHAKES, stdout);
      }
      const pool = JSON.parse(/key-share pool: (\{.*\})/.exec(stdout)?.[1] ?? "null") as {
        taken: number;
      } | null;
      assert.ok(pool && pool.taken > 0, stdout);
      const parsed = JSON.parse(await readFile(profile, "utf8")) as { nodes: unknown[]; samples: unknown[] };
      assert.ok(parsed.nodes.length > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
