/**
 * Child processes for the interop tests with peers in other languages: run
 * one to completion under a timeout, start a server and learn its port,
 * find a toolchain on PATH, and run the repo's install scripts
 * (scripts/ensure-*.sh).
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Keep at most this much of a child's output (stdout and stderr each). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface ProcessResult {
  /** The exit code; null when a signal ended it (then `signal` is set). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Runs `file args` to its end, SIGKILLed after `timeoutMs`; never rejects for a failed exit. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string },
): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolveRun, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env ?? process.env,
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const durationMs = performance.now() - started;
        if (error && typeof error.code === "string") {
          // Not an exit status: the file could not be run at all (ENOENT, EACCES...).
          reject(new Error(`cannot run ${file}: ${error.message}`));
          return;
        }
        const killed = error?.killed === true;
        resolveRun({
          code: error ? ((error.code as number | undefined) ?? null) : 0,
          signal: (error?.signal as NodeJS.Signals | undefined) ?? null,
          timedOut: killed,
          stdout,
          stderr,
          durationMs,
        });
      },
    );
  });
}

/** Whether `command` runs from PATH (`command --version`-style probe with `args`). */
export function onPath(command: string, args: readonly string[] = ["--version"]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

/**
 * Runs scripts/NAME (an ensure-*.sh install script) and returns the path it
 * prints; a failed install is an Error with the script's own reason.
 */
export async function runEnsureScript(
  name: string,
  timeoutMs: number,
): Promise<{ path: string; ms: number }> {
  const r = await runProcess("bash", [join(REPO_ROOT, "scripts", name)], { timeoutMs });
  const path = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || path === "") {
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${r.code ?? r.signal}`;
    throw new Error(`scripts/${name} ${why}:\n${r.stderr.slice(-4000)}`);
  }
  return { path, ms: r.durationMs };
}

/** Grace between SIGTERM and SIGKILL when stopping a server process. */
const KILL_GRACE_MS = 5_000;
/** Keep at most this much of a server's output for failure messages (servers may log every connection). */
const MAX_SERVER_OUTPUT_CHARS = 16_000;

export interface ServerProcess {
  readonly port: number;
  /** Its process id (for signals such as SIGHUP). */
  readonly pid: number;
  /** The tail of its stdout and stderr so far, for failure messages. */
  output(): string;
  /** SIGTERM (graceful), SIGKILL after a grace period; idempotent. Also runs on process exit. */
  stop(): Promise<void>;
}

/**
 * Spawns a server and resolves once its output (stdout or stderr) matches
 * `portPattern`, whose first group is the port it listens on.
 */
export async function startServerProcess(
  file: string,
  args: readonly string[],
  options: {
    readonly what: string;
    readonly portPattern: RegExp;
    readonly startTimeoutMs: number;
    readonly env?: NodeJS.ProcessEnv;
  },
): Promise<ServerProcess> {
  const child = spawn(file, args, { cwd: REPO_ROOT, env: options.env ?? process.env, stdio: "pipe" });
  child.stdin.end();
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      process.removeListener("exit", kill);
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const hard = setTimeout(kill, KILL_GRACE_MS);
      await exited;
      clearTimeout(hard);
    }
  };
  let out = "";
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.what} did not start within ${options.startTimeoutMs} ms:\n${out}`)),
        options.startTimeoutMs,
      );
      const onData = (t: string) => {
        out = (out + t).slice(-MAX_SERVER_OUTPUT_CHARS);
        const m = options.portPattern.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.setEncoding("utf8").on("data", onData);
      child.stderr.setEncoding("utf8").on("data", onData);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.what} exited with ${code ?? signal} before listening:\n${out}`));
      });
    });
    return { port, pid: child.pid!, output: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
