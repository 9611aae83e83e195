/**
 * The bounded run of every fuzz target in the test command: its seed corpus,
 * then a fixed number of mutants from a fixed seed (so a failure replays),
 * without coverage feedback. Long, coverage-guided runs are `npm run fuzz`.
 * A finding fails with the input in hex; paste it into a regression test.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../../src/bytes/bytes.ts";
import { Mutator, prng } from "./driver/mutator.ts";
import { readCorpus } from "./harness/corpus.ts";
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
