/**
 * `npm run fuzz -- [target ...] [--seconds N] [--runs N] [--seed N] [--save] [--list]`
 *
 * Runs each target (default: all) for N seconds (default 60), one at a time,
 * from its corpus in test/fuzz/corpus/<target>/, and prints executions,
 * executions per second and coverage. Targets run under jazzer.js
 * (libFuzzer; its addon needs glibc >= 2.38, which
 * scripts/ensure-jazzer-runtime.sh supplies on older systems), or, where it
 * cannot run or with --engine builtin, under the built-in coverage-guided
 * driver (driver/worker.ts), which reports coverage as src/ blocks run out
 * of blocks seen. --save adds inputs that found new
 * coverage to the corpus. A crash or hang writes the input to
 * test/fuzz/findings/ and exits 1.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WorkerConfig, WorkerMessage } from "./driver/worker.ts";
import { readCorpus, writeInput } from "./harness/corpus.ts";
import { type JazzerLauncher, jazzerArgs, jazzerLauncher, MAX_INPUT_BYTES } from "./harness/jazzer.ts";
import { corpusDir, loadTarget, TARGET_NAMES } from "./harness/registry.ts";
import type { FuzzTarget } from "./harness/target.ts";

const FINDINGS_DIR = fileURLToPath(new URL("./findings/", import.meta.url));
/** One execution longer than this is a hang, seconds. */
const HANG_SECONDS = 20;
/** How long a hung worker gets to stop after terminate() before the process exits, seconds. */
const TERMINATE_SECONDS = 5;

interface Args {
  targets: string[];
  seconds: number;
  runs: number;
  seed: number;
  save: boolean;
  engine: "auto" | "jazzer" | "builtin";
}

function parseArgs(argv: string[]): Args | "list" {
  const args: Args = {
    targets: [],
    seconds: 60,
    runs: Number.MAX_SAFE_INTEGER,
    seed: Date.now() >>> 0,
    save: false,
    engine: "auto",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === "--list") return "list";
    else if (a === "--seconds") args.seconds = value();
    else if (a === "--runs") args.runs = value();
    else if (a === "--seed") args.seed = value();
    else if (a === "--save") args.save = true;
    else if (a === "--engine") args.engine = argv[++i] as Args["engine"];
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else args.targets.push(a);
  }
  if (args.targets.length === 0) args.targets = [...TARGET_NAMES];
  return args;
}

function runJazzer(target: FuzzTarget, args: Args, launcher: JazzerLauncher): number {
  // Without --save, jazzer.js works on a scratch copy: it writes every new input into its corpus directory.
  const corpus = args.save ? corpusDir(target.name) : mkdtempSync(join(tmpdir(), `fuzz-${target.name}-`));
  if (!args.save) cpSync(corpusDir(target.name), corpus, { recursive: true });
  mkdirSync(FINDINGS_DIR, { recursive: true });
  const run = spawnSync(
    launcher.command,
    [
      ...launcher.prefix,
      ...jazzerArgs(target, corpus, {
        seconds: args.seconds,
        ...(args.runs === Number.MAX_SAFE_INTEGER ? {} : { runs: args.runs }),
        seed: args.seed,
        timeoutSeconds: HANG_SECONDS,
      }),
    ],
    // libFuzzer writes crash-* and timeout-* files into the working directory.
    { stdio: "inherit", cwd: FINDINGS_DIR },
  );
  if (!args.save) rmSync(corpus, { recursive: true, force: true });
  return run.status ?? 1;
}

function runBuiltin(name: string, args: Args): Promise<number> {
  const state = new SharedArrayBuffer(16);
  const input = new SharedArrayBuffer(MAX_INPUT_BYTES);
  const config: WorkerConfig = {
    target: name,
    seconds: args.seconds,
    runs: args.runs,
    seed: args.seed,
    maxLength: MAX_INPUT_BYTES,
    save: args.save,
    corpus: readCorpus(corpusDir(name)),
    state,
    input,
  };
  const worker = new Worker(new URL("./driver/worker-entry.mjs", import.meta.url), { workerData: config });
  const counters = new Int32Array(state);
  const line = (m: Extract<WorkerMessage, { execs: number }>, tag: string) =>
    `${name}: ${tag} ${m.execs} execs in ${m.seconds.toFixed(0)} s, ${(m.execs / Math.max(m.seconds, 1e-3)).toFixed(0)} exec/s, coverage ${m.covered}/${m.known} src blocks, corpus ${m.corpus}`;
  return new Promise((resolve) => {
    let lastExecs = -1;
    let still = 0;
    const watchdog = setInterval(() => {
      const execs = Atomics.load(counters, 0);
      still = execs === lastExecs ? still + 1 : 0;
      lastExecs = execs;
      if (still < HANG_SECONDS) return;
      const length = Atomics.load(counters, 1);
      const path = writeInput(FINDINGS_DIR, new Uint8Array(input, 0, length).slice(), `timeout-${name}-`);
      const phase = ["between executions (mutating)", "in the target", "taking coverage"][
        Atomics.load(counters, 2)
      ];
      console.error(
        `${name}: HANG: no progress for ${HANG_SECONDS} s after ${execs} execs (${Atomics.load(counters, 3)} coverage takes), stuck ${phase}; pid ${process.pid}; input saved to ${path}`,
      );
      clearInterval(watchdog);
      if (process.env.FUZZ_HANG_KEEP === "1") return;
      void worker.terminate().then(() => resolve(1));
      // A worker blocked in native code (Node 20's keygen deadlock sat in a mutex inside a GC)
      // never reaches a point where terminate() can stop it, and process.exit() waits to join its
      // thread (seen: the process stayed): the process kills itself instead.
      setTimeout(() => {
        console.error(`${name}: the worker did not stop within ${TERMINATE_SECONDS} s; killing the process`);
        process.kill(process.pid, "SIGKILL");
      }, TERMINATE_SECONDS * 1000).unref();
    }, 1000);
    let status = 1;
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "finding") {
        const path = writeInput(FINDINGS_DIR, m.input, `crash-${name}-`);
        console.error(`${name}: FINDING (input saved to ${path}):\n${m.error}`);
        status = 1;
      } else {
        console.log(line(m, m.kind === "done" ? "done:" : "#"));
        if (m.kind === "done") status = 0;
      }
    });
    worker.on("error", (e) => {
      console.error(`${name}: driver error: ${e.stack ?? e.message}`);
      status = 1;
    });
    worker.on("exit", () => {
      clearInterval(watchdog);
      resolve(status);
    });
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args === "list") {
    for (const name of TARGET_NAMES) console.log(`${name}: ${(await loadTarget(name)).description}`);
    return 0;
  }
  const launcher = args.engine === "builtin" ? "not asked for (--engine builtin)" : jazzerLauncher();
  if (typeof launcher === "string") {
    if (args.engine === "jazzer") throw new Error(`jazzer.js cannot run here: ${launcher}`);
    console.log(`jazzer.js is not available (${launcher}); using the built-in driver`);
  }
  let failed = 0;
  for (const name of args.targets) {
    const target = await loadTarget(name); // an unknown name fails before any run
    const status =
      typeof launcher === "string" ? await runBuiltin(name, args) : runJazzer(target, args, launcher);
    if (status !== 0) failed++;
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
