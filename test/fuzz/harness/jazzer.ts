/**
 * Running a target under jazzer.js (libFuzzer with JavaScript coverage
 * instrumentation), shared by `npm run fuzz` and the bounded test.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { targetFile } from "./registry.ts";
import type { FuzzTarget } from "./target.ts";

/** No input the targets need is larger (a Certificate message with a PQ chain is ~20 KB). */
export const MAX_INPUT_BYTES = 64 * 1024;

/** How to start node so that jazzer.js's addon loads: the command and the arguments before node's own. */
export type JazzerLauncher = { command: string; prefix: string[] };

/**
 * A launcher for jazzer.js on this machine, or the reason there is none.
 * scripts/ensure-jazzer-runtime.sh supplies a newer C runtime where the
 * system's is too old for the prebuilt addon (it downloads it once).
 */
export function jazzerLauncher(node: string = process.execPath): JazzerLauncher | string {
  const script = fileURLToPath(new URL("../../../scripts/ensure-jazzer-runtime.sh", import.meta.url));
  const run = spawnSync("bash", [script, node], { encoding: "utf8" });
  if (run.status !== 0)
    return run.stderr.trim().split("\n").pop() || `ensure-jazzer-runtime exited ${run.status}`;
  const lib = run.stdout.trim();
  if (lib === "") return { command: node, prefix: [] };
  return { command: join(lib, "ld-linux-x86-64.so.2"), prefix: ["--library-path", lib, node] };
}

/** Arguments of one jazzer.js run of a target: a copy of its corpus unless --save, libFuzzer's limits after "--". */
export function jazzerArgs(
  target: FuzzTarget,
  corpus: string,
  options: { seconds?: number; runs?: number; seed: number; timeoutSeconds: number },
): string[] {
  const cli = createRequire(import.meta.url).resolve("@jazzer.js/core/dist/cli.js");
  // jazzer.js appends ".js" to the module name; tsx then resolves it to the .ts file.
  const module = targetFile(target.name).replace(/\.ts$/, "");
  const libFuzzer = [`-seed=${options.seed}`, `-max_len=${MAX_INPUT_BYTES}`];
  if (options.seconds !== undefined) libFuzzer.push(`-max_total_time=${options.seconds}`);
  if (options.runs !== undefined) libFuzzer.push(`-runs=${options.runs}`);
  return [
    // By URL: jazzer.js runs in the directory it should write crash files to, where "tsx" does not resolve.
    "--import",
    import.meta.resolve("tsx"),
    cli,
    module,
    corpus,
    // Coverage of the project's code only (not node_modules, not the harness).
    "--includes",
    "/src/",
    ...(target.asynchronous ? [] : ["--sync"]),
    // jazzer.js's own per-execution timeout (ms; default 5 s) decides, not libFuzzer's -timeout. The first
    // execution of a crypto target loads its providers lazily, which takes seconds on a loaded machine.
    "--timeout",
    String(options.timeoutSeconds * 1000),
    "--",
    ...libFuzzer,
  ];
}
