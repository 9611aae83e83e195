/**
 * The bounded run of every fuzz target in the test command, twice: its seed
 * corpus and a fixed number of mutants from a fixed seed (so a failure
 * replays) in this process, without coverage feedback; then a fixed number
 * of coverage-guided executions under jazzer.js (libFuzzer), where its addon
 * can be made to load (scripts/ensure-jazzer-runtime.sh; skipped with the
 * reason otherwise). Long runs are `npm run fuzz`. A finding fails with the
 * input (in hex, or libFuzzer's crash file); add it to a regression test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { toHex } from "../../src/bytes/bytes.ts";
import { Mutator, prng } from "./driver/mutator.ts";
import { readCorpus } from "./harness/corpus.ts";
import { jazzerArgs, jazzerLauncher } from "./harness/jazzer.ts";
import { corpusDir, loadTarget, TARGET_NAMES } from "./harness/registry.ts";
import { execute, type FuzzTarget } from "./harness/target.ts";

/** Mutants per target: public-key crypto in every execution makes the costly ones ~100x slower. */
const MUTANTS = 4000;
const COSTLY_MUTANTS = 120;
const SEED = 0x5eed;
const MAX_INPUT_BYTES = 64 * 1024;

for (const name of TARGET_NAMES) {
  test(`fuzz target ${name}: seeds and mutants find nothing`, async () => {
    const target = await loadTarget(name);
    const corpus = readCorpus(corpusDir(name));
    assert.ok(corpus.length > 0, `no seed corpus for ${name}: run test/fuzz/seeds.ts`);
    const random = prng(SEED);
    const mutator = new Mutator(random, { maxLength: MAX_INPUT_BYTES });
    const inputs = function* () {
      yield* corpus;
      const count = target.costly ? COSTLY_MUTANTS : MUTANTS;
      for (let i = 0; i < count; i++) {
        yield mutator.mutate(corpus[random() % corpus.length]!, corpus[random() % corpus.length]);
      }
    };
    for (const input of inputs()) {
      try {
        await execute(target, input);
      } catch (e) {
        assert.fail(`${name} failed on input ${toHex(input)}: ${(e as Error).stack ?? e}`);
      }
    }
  });
}

/** libFuzzer executions per target under jazzer.js (its start-up, ~3 s, dominates the fast targets). */
const JAZZER_RUNS = 5000;
const JAZZER_COSTLY_RUNS = 40;
const JAZZER_ASYNC_RUNS = 500;
const HANG_SECONDS = 60;
/** Where a failing jazzer.js run leaves its input (git-ignored), for a regression test. */
const FINDINGS_DIR = fileURLToPath(new URL("./findings/", import.meta.url));

/** jazzer.js's output for a run of `name`, `runs` executions, from a scratch copy of its corpus. */
async function runJazzer(
  name: string,
  runs: number,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; log: string; scratch: string }> {
  if (typeof launcher === "string") throw new Error(launcher);
  const target = await loadTarget(name);
  const scratch = mkdtempSync(join(tmpdir(), `fuzz-${name}-`));
  const corpus = join(scratch, "corpus");
  cpSync(corpusDir(name), corpus, { recursive: true });
  const args = jazzerArgs(target, corpus, { runs, seed: SEED, timeoutSeconds: HANG_SECONDS });
  // libFuzzer writes crash-* / timeout-* files into its working directory.
  const run = spawnSync(launcher.command, [...launcher.prefix, ...args], {
    encoding: "utf8",
    cwd: scratch,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: run.status, signal: run.signal, log: `${run.stdout}${run.stderr}`, scratch };
}

const launcher = jazzerLauncher();
/**
 * Why the jazzer.js runs are skipped, or false. Under tsx on Node 24 its ESM
 * hooks see no module (tsx loads TypeScript through in-thread hooks there):
 * libFuzzer then says "no interesting inputs ... Is the code instrumented
 * for coverage?", and a blind run adds nothing to the mutation run above.
 */
async function jazzerSkipReason(): Promise<string | false> {
  if (typeof launcher === "string") return `jazzer.js cannot run here: ${launcher}`;
  const probe = await runJazzer("tls-extensions", 1);
  rmSync(probe.scratch, { recursive: true, force: true });
  if (/INITED cov: [1-9]/.test(probe.log)) return false;
  return `jazzer.js instruments no code on Node ${process.versions.node} (its ESM hooks do not see tsx's modules)`;
}
const jazzerSkip = await jazzerSkipReason();

for (const name of TARGET_NAMES) {
  test(`jazzer.js run of ${name} finds nothing`, { skip: jazzerSkip }, async (t) => {
    const target = await loadTarget(name);
    const runs = target.costly ? JAZZER_COSTLY_RUNS : target.asynchronous ? JAZZER_ASYNC_RUNS : JAZZER_RUNS;
    const { status, signal, log, scratch } = await runJazzer(name, runs);
    try {
      // libFuzzer writes one of these for every finding (an exception, a hang, memory).
      const artifacts = readdirSync(scratch).filter((f) => /^(crash|timeout|oom|leak)-/.test(f));
      if (artifacts.length > 0 || status !== 0) {
        mkdirSync(FINDINGS_DIR, { recursive: true });
        for (const f of artifacts) cpSync(join(scratch, f), join(FINDINGS_DIR, `${name}-${f}`));
      }
      assert.deepEqual(artifacts, [], `jazzer.js found something in ${name}:\n${log.slice(-4000)}`);
      // The prebuilt addon sometimes dies by a signal while the process exits, after "Done N runs":
      // every run finished and nothing was found, so that is reported, not failed.
      const finished =
        /Done \d+ runs/.test(log) && !/==\d+==\s*(ERROR|Uncaught)|SUMMARY: libFuzzer/.test(log);
      if (status === null && signal !== null && finished) {
        t.diagnostic(`jazzer.js exited by ${signal} after finishing its runs of ${name}`);
      } else {
        assert.equal(status, 0, `jazzer.js found something in ${name}:\n${log.slice(-4000)}`);
      }
      assert.match(
        log,
        /Done \d+ runs/,
        `jazzer.js did not finish its runs of ${name}:\n${log.slice(-2000)}`,
      );
      assert.match(log, /INITED cov: [1-9]/, `jazzer.js instrumented nothing of ${name}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

test("the harness passes typed errors and fails on any other throw", async () => {
  class TypedError extends Error {}
  const probe: FuzzTarget = {
    name: "probe",
    description: "throws by its first byte",
    typed: [TypedError],
    run(data) {
      if (data[0] === 1) throw new TypedError("bad input");
      if (data[0] === 2) throw new TypeError("a bug");
    },
  };
  await execute(probe, Uint8Array.of(0));
  await execute(probe, Uint8Array.of(1));
  await assert.rejects(async () => execute(probe, Uint8Array.of(2)), TypeError);
  const asyncProbe: FuzzTarget = { ...probe, run: async (data) => probe.run(data) };
  await execute(asyncProbe, Uint8Array.of(1));
  await assert.rejects(async () => execute(asyncProbe, Uint8Array.of(2)), TypeError);
});
