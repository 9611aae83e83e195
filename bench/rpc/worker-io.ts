/**
 * Worker side of the bench:rpc process protocol. A worker gets its config as
 * one JSON argument, speaks JSON lines on stdout (events), reads JSON lines
 * on stdin (client commands) and exits when stdin ends or on SIGTERM, so
 * that `node --cpu-prof` can write its profile (it does so on a normal exit,
 * never on SIGKILL).
 */
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { LoadTarget, UnaryConnection } from "./load.ts";
import { cpuNowUs, runStream, runUnary, runUnaryOver } from "./load.ts";
import {
  type ClientCommand,
  type HeapSample,
  type OpenCommand,
  type OpenResult,
  UNARY_PAYLOAD_BYTES,
  type WorkerCommand,
  type WorkerEvent,
} from "./messages.ts";

/** After a shutdown request, the worker's own clean-up gets this long before a hard exit. */
const SHUTDOWN_GRACE_MS = 1_500;
/** Full GCs before a heap sample (a second one collects what the first one's finalizers freed). */
const HEAP_GC_PASSES = 3;
/**
 * Between those GCs, ms: with only a setImmediate between them the first
 * sample after activity read ~200 KiB above the next ones (measured); with a
 * pause, back-to-back samples agree within ~±100 KiB, the noise floor that a
 * per-connection figure is divided by N against.
 */
const HEAP_GC_PAUSE_MS = 50;
/** "open" stops starting connections after this many failed (a refusing server, not a slow one). */
const MAX_OPEN_ERRORS = 10;
/** TCP state ESTABLISHED in /proc/net/tcp (include/net/tcp_states.h). */
const TCP_ESTABLISHED = "01";
const HEX = 16;
/** Reads of the TCP tables per count (see establishedTo). */
const TCP_TABLE_READS = 2;

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
    else if (cmd.cmd === "heap") heapSample(port).then((h) => emit({ event: "heap", ...h }), fail);
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

/** The connections axis's connections, between "open" and "close". */
let opened: UnaryConnection[] = [];

async function runCommand(target: LoadTarget, cmd: ClientCommand): Promise<void> {
  switch (cmd.cmd) {
    case "unary":
      emit({ event: "unary", ...(await runUnary(target, cmd)) });
      return;
    case "stream":
      emit({ event: "stream", ...(await runStream(target, cmd)) });
      return;
    case "open":
      if (opened.length > 0) throw new Error(`"open" with ${opened.length} connections still open`);
      emit({ event: "opened", ...(await openConnections(target, cmd)) });
      return;
    case "spread":
      emit({ event: "spread", ...(await runUnaryOver(opened, cmd)) });
      return;
    case "close": {
      const all = opened;
      opened = [];
      await Promise.all(all.map((c) => c.close()));
      emit({ event: "closed" });
      return;
    }
  }
}

/**
 * Opens cmd.connections connections, at most cmd.parallel at a time (1,000
 * PQ TLS handshakes at once would only queue in the server's CPU and trip
 * its handshake cap), each finishing one UnaryCall before it counts.
 */
async function openConnections(target: LoadTarget, cmd: OpenCommand): Promise<OpenResult> {
  const t0 = performance.now();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const opener = async () => {
    while (next < cmd.connections && errors < MAX_OPEN_ERRORS) {
      const index = ++next;
      let connection: UnaryConnection | undefined;
      try {
        connection = await target.openConnection();
        const size = await connection.unary();
        if (size !== UNARY_PAYLOAD_BYTES) throw new Error(`response payload of ${size} bytes`);
        opened.push(connection);
      } catch (e) {
        errors++;
        firstError ??= `opening connection ${index}: ${e instanceof Error ? e.message : String(e)}`;
        await connection?.close().catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.parallel, cmd.connections) }, opener));
  return {
    connections: opened.length,
    openMs: performance.now() - t0,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Heap and RSS after full GCs (the worker runs with --expose-gc), and the server's connections. */
async function heapSample(port: number): Promise<HeapSample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") throw new Error("heap sample: the server worker needs node --expose-gc");
  for (let i = 0; i < HEAP_GC_PASSES; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, HEAP_GC_PAUSE_MS));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss, connections: await establishedTo(port) };
}

/**
 * TCP connections established to local `port`, this host's server ends
 * (/proc/net/tcp and tcp6; the client ends have the port as the remote
 * one). Whatever the server library, so that a client that shares one
 * connection among its "connections" shows. The kernel fills those files a
 * page at a time, so a table that changes meanwhile (any process's
 * connections) can show an entry twice or not at all: entries are told apart
 * by their address pair, over TCP_TABLE_READS reads. NaN without /proc.
 */
async function establishedTo(port: number): Promise<number> {
  const seen = new Set<string>();
  let read = 0;
  for (let pass = 0; pass < TCP_TABLE_READS; pass++) {
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        continue;
      }
      read++;
      for (const line of text.split("\n").slice(1)) {
        const fields = line.trim().split(/\s+/);
        const local = fields[1];
        if (local === undefined || fields[3] !== TCP_ESTABLISHED) continue;
        if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), HEX) === port) {
          seen.add(`${file} ${local} ${fields[2]}`);
        }
      }
    }
  }
  return read > 0 ? seen.size : Number.NaN;
}
