/**
 * Orchestrator side of the bench:rpc process protocol: spawns a worker
 * script under a given Node binary, reads its JSON-line events in order,
 * and guarantees the child dies: every wait has a timeout, stop() ends
 * stdin (a clean exit, so --cpu-prof profiles get written) then SIGKILLs
 * after a grace period, and killAllWorkers() (also run on process exit)
 * SIGKILLs whatever is left.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { WorkerCommand, WorkerEvent } from "./messages.ts";

/** Grace between ending a worker's stdin and SIGKILL (a --cpu-prof write takes ~100 ms). */
const STOP_GRACE_MS = 5_000;
/** Keep at most this much of a worker's stderr for error messages. */
const MAX_STDERR_CHARS = 8_000;

const live = new Set<ChildProcess>();

/** SIGKILLs every worker still running (synchronous, so it also works in an 'exit' listener). */
export function killAllWorkers(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

process.on("exit", killAllWorkers);

export interface WorkerSpawn {
  /** Name for messages, e.g. "server pqrpc@node24". */
  readonly name: string;
  readonly node: string;
  /** Node options before the script, e.g. ["--import", "tsx"]. */
  readonly nodeArgs: readonly string[];
  readonly script: string;
  readonly config: object;
  readonly cwd: string;
}

export class WorkerProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #events: WorkerEvent[] = [];
  #waiter: (() => void) | undefined;
  #stderr = "";
  #exit: string | undefined;

  constructor(spec: WorkerSpawn) {
    this.name = spec.name;
    this.#child = spawn(spec.node, [...spec.nodeArgs, spec.script, JSON.stringify(spec.config)], {
      cwd: spec.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(this.#child);
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      try {
        this.#events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        this.#events.push({ event: "error", message: `not a JSON event: ${line}` });
      }
      this.#wake();
    });
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-MAX_STDERR_CHARS);
    });
    this.#child.stdin!.on("error", () => {});
    this.#child.on("error", (e) => {
      this.#exit ??= `spawn failed: ${e.message}`;
      this.#wake();
    });
    this.#child.on("exit", (code, signal) => {
      live.delete(this.#child);
      this.#exit ??= `exited (${signal ?? `code ${code}`})`;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** The worker's next event, which must be `kind`; an "error" event, exit or timeout rejects. */
  async next<K extends WorkerEvent["event"]>(
    kind: K,
    timeoutMs: number,
  ): Promise<Extract<WorkerEvent, { event: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) {
        if (event.event === kind) return event as Extract<WorkerEvent, { event: K }>;
        const detail = event.event === "error" ? event.message : JSON.stringify(event);
        throw new Error(`${this.name}: expected "${kind}", got ${detail}`);
      }
      const left = deadline - Date.now();
      if (this.#exit !== undefined || left <= 0) {
        const why = this.#exit ?? `no "${kind}" after ${timeoutMs} ms`;
        throw new Error(`${this.name}: ${why}; stderr: ${this.#stderr.trim() || "(empty)"}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  send(cmd: WorkerCommand): void {
    this.#child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Ends stdin (the worker's clean exit), then SIGKILL after a grace period. Idempotent. */
  async stop(): Promise<void> {
    if (this.#exit !== undefined) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
