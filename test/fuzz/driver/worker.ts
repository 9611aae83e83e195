/**
 * The built-in coverage-guided loop, run in a worker so the parent can
 * watch it for hangs: keep a corpus, mutate a random entry, run it, keep it
 * if it reached a src/ block no earlier input did. Coverage is taken once
 * per batch of inputs (taking it is far slower than a codec execution);
 * only a batch that found something is re-run one input at a time to see
 * which input to keep.
 *
 * Before each execution the input is copied into shared memory and a
 * counter is bumped, so that the parent can save the input that hung.
 */
import { parentPort, workerData } from "node:worker_threads";
import { writeInput } from "../harness/corpus.ts";
import { corpusDir, loadTarget } from "../harness/registry.ts";
import { execute, type FuzzTarget } from "../harness/target.ts";
import { BlockCoverage } from "./coverage.ts";
import { Mutator, prng } from "./mutator.ts";

export interface WorkerConfig {
  target: string;
  seconds: number;
  runs: number;
  seed: number;
  maxLength: number;
  /** Save inputs that found new coverage into the target's corpus directory. */
  save: boolean;
  corpus: Uint8Array[];
  /**
   * [0]: executions started; [1]: length of the current input (its bytes follow in `input`);
   * [2]: the phase the loop is in (a Phase), so the watchdog can say where a stall is.
   */
  state: SharedArrayBuffer;
  input: SharedArrayBuffer;
}

export type WorkerMessage =
  | { kind: "progress"; execs: number; seconds: number; covered: number; known: number; corpus: number }
  | { kind: "finding"; input: Uint8Array; error: string }
  | { kind: "done"; execs: number; seconds: number; covered: number; known: number; corpus: number };

/** Per-execution time above which coverage is taken after every input rather than per batch, ms. */
const SLOW_EXEC_MS = 2;
const FAST_BATCH = 64;
const PROGRESS_EVERY_MS = 5000;

/** Where the loop is, for the watchdog's report. */
export const Phase = { mutate: 0, execute: 1, coverage: 2 } as const;

const config = workerData as WorkerConfig;
const state = new Int32Array(config.state);
const shared = new Uint8Array(config.input);

async function runOne(target: FuzzTarget, data: Uint8Array): Promise<void> {
  const n = Math.min(data.length, shared.length);
  shared.set(data.subarray(0, n));
  Atomics.store(state, 1, n);
  Atomics.add(state, 0, 1);
  Atomics.store(state, 2, Phase.execute);
  await execute(target, data);
  Atomics.store(state, 2, Phase.mutate);
}

async function takeCoverage(coverage: BlockCoverage): Promise<Set<string>> {
  Atomics.store(state, 2, Phase.coverage);
  Atomics.add(state, 3, 1);
  const ran = await coverage.take();
  Atomics.store(state, 2, Phase.mutate);
  return ran;
}

async function main(): Promise<void> {
  const target = await loadTarget(config.target);
  const coverage = new BlockCoverage();
  await coverage.start();
  const corpus: Uint8Array[] = config.corpus.length > 0 ? [...config.corpus] : [new Uint8Array(0)];
  const random = prng(config.seed);
  const mutator = new Mutator(random, { maxLength: config.maxLength });
  const started = performance.now();
  let execs = 0;
  const finding = (input: Uint8Array, e: unknown): never => {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    parentPort!.postMessage({ kind: "finding", input, error } satisfies WorkerMessage);
    throw new Error("finding reported");
  };
  const attempt = async (data: Uint8Array): Promise<void> => {
    try {
      await runOne(target, data);
    } catch (e) {
      finding(data, e);
    }
    execs++;
  };
  for (const entry of corpus) await attempt(entry);
  coverage.commit(await takeCoverage(coverage));
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  const report = (kind: "progress" | "done"): void => {
    parentPort!.postMessage({
      kind,
      execs,
      seconds: elapsedSeconds(),
      covered: coverage.covered.size,
      known: coverage.knownBlocks,
      corpus: corpus.length,
    } satisfies WorkerMessage);
  };
  let lastReport = performance.now();
  let batchSize = FAST_BATCH;
  while (elapsedSeconds() < config.seconds && execs < config.runs) {
    const batch: Uint8Array[] = [];
    const batchStart = performance.now();
    for (let i = 0; i < batchSize && execs < config.runs; i++) {
      const parent = corpus[random() % corpus.length]!;
      const other = corpus[random() % corpus.length];
      const input = mutator.mutate(parent, other);
      batch.push(input);
      await attempt(input);
    }
    const perExecMs = (performance.now() - batchStart) / Math.max(batch.length, 1);
    batchSize = perExecMs > SLOW_EXEC_MS ? 1 : FAST_BATCH;
    const ran = await takeCoverage(coverage);
    if (coverage.novel(ran) > 0) {
      if (batch.length === 1) keep(batch[0]!);
      else {
        for (const input of batch) {
          await attempt(input);
          const alone = await takeCoverage(coverage);
          if (coverage.novel(alone) > 0) {
            coverage.commit(alone);
            keep(input);
          }
        }
      }
      // Blocks that no single re-run reached again (state carried between inputs) still count.
      coverage.commit(ran);
    }
    if (performance.now() - lastReport > PROGRESS_EVERY_MS) {
      lastReport = performance.now();
      report("progress");
    }
  }
  coverage.stop();
  report("done");

  function keep(input: Uint8Array): void {
    corpus.push(input);
    if (config.save) writeInput(corpusDir(config.target), input);
  }
}

main().catch((e) => {
  if ((e as Error).message !== "finding reported") throw e;
});
