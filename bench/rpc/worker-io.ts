/**
 * Worker side of the bench:rpc process protocol. A worker gets its config as
 * one JSON argument, speaks JSON lines on stdout (events), reads JSON lines
 * on stdin (client commands) and exits when stdin ends or on SIGTERM, so
 * that `node --cpu-prof` can write its profile (it does so on a normal exit,
 * never on SIGKILL).
 */
import { createInterface } from "node:readline";
import type { LoadTarget } from "./load.ts";
import { cpuNowUs, runStream, runUnary } from "./load.ts";
import type { ClientCommand, WorkerCommand, WorkerEvent } from "./messages.ts";

/** After a shutdown request, the worker's own clean-up gets this long before a hard exit. */
const SHUTDOWN_GRACE_MS = 1_500;

export function readConfig<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("usage: <worker> '<json config>'");
  return JSON.parse(raw) as T;
}

export function emit(event: WorkerEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Runs `cleanup` once when stdin ends or SIGTERM arrives, then exits 0. */
export function onShutdown(cleanup: () => Promise<void> | void): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

/** A worker's fatal error: reported as an event (the orchestrator shows it) and exit 1. */
export function fail(error: unknown): never {
  emit({ event: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

/**
 * Server workers: announce the port, answer "cpu" commands (the orchestrator
 * samples a server's CPU time around each measured window), and run
 * `cleanup` at shutdown.
 */
export function serveServer(port: number, cleanup: () => Promise<void> | void): void {
  emit({ event: "listening", port, runtime: process.version });
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const cmd = JSON.parse(line) as WorkerCommand;
    if (cmd.cmd === "cpu") emit({ event: "cpu", cpuUs: cpuNowUs() });
    else fail(new Error(`a server worker got the client command "${cmd.cmd}"`));
  });
  onShutdown(async () => {
    lines.close();
    await cleanup();
  });
}

/** Client workers: announce readiness, then run stdin commands one at a time until stdin ends. */
export function serveCommands(target: LoadTarget, info: Record<string, string>): void {
  emit({ event: "ready", runtime: process.version, info });
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    queue = queue.then(() => runCommand(target, JSON.parse(line) as ClientCommand)).catch(fail);
  });
  onShutdown(async () => {
    lines.close();
    await target.close();
  });
}

async function runCommand(target: LoadTarget, cmd: ClientCommand): Promise<void> {
  if (cmd.cmd === "unary") emit({ event: "unary", ...(await runUnary(target, cmd)) });
  else emit({ event: "stream", ...(await runStream(target, cmd)) });
}
