/**
 * Keeps bench/send-path-alloc.ts working: a few MB through frames and the
 * record layer, with and without --expose-gc; checks that it exits cleanly
 * and prints one row per suite and provider with numbers in every column
 * (allocation "n/a" without --expose-gc). No figure is checked.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { runBenchScript } from "./bench/run-bench-script.ts";

/** A hang guard for a loaded machine, not a speed check. */
const RUN_TIMEOUT_MS = 180_000;
const MEGABYTES = "2";
const SUITES = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const NUMBER = String.raw`-?\d+(?:\.\d+)?`;

for (const exposeGc of [true, false]) {
  it(`bench/send-path-alloc.ts reports every row${exposeGc ? " (--expose-gc)" : ""}`, async () => {
    const env = exposeGc ? { NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --expose-gc` } : {};
    const { code, stdout, stderr } = await runBenchScript(
      "bench/send-path-alloc.ts",
      [MEGABYTES, "node,noble"],
      env,
      RUN_TIMEOUT_MS,
    );
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(
      stdout,
      /^send path: pqrpc\/1 frames -> TLS records, 64 KiB messages, 2 MB per row, Node v/m,
    );
    const alloc = exposeGc ? NUMBER : "n/a";
    for (const suite of SUITES) {
      for (const provider of ["node", "noble"]) {
        const row = new RegExp(`^${suite} +${provider} +${alloc} +${NUMBER} +${NUMBER} +${NUMBER}$`, "m");
        assert.match(stdout, row, `${suite} ${provider}\n${stdout}`);
      }
    }
  });
}
