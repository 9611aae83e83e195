/**
 * The saturation half of `npm run bench:handshake`: full TLS 1.3 handshakes
 * per second when the server uses every core, next to Node 24's native TLS
 * under the same load.
 *
 * Per row, three kinds of process, all on the row's Node binary:
 * - a server: a node:cluster primary with one worker per core
 *   (os.availableParallelism()); each worker accepts TCP and runs the
 *   server handshake only (pqrpc: `tlsAccept` over node:net; native:
 *   `tls.createServer`). The primary hands out connections round-robin
 *   (Node's default cluster scheduling on Linux), so its CPU is counted too.
 *   pqrpc's real server (src/server) adds per-source and handshake-concurrency
 *   caps in front of `tlsAccept`: they do NOT apply here (the caps would limit
 *   a single loopback client, which is the point of them);
 * - clients: `clients` separate processes (PQRPC_BENCH_SATURATION_CLIENTS,
 *   default 2) of the same implementation as the server (pqrpc `connectTls`,
 *   or `tls.connect`) keeping `concurrency` handshakes in flight between them;
 *   each connection is closed (close_notify, then TCP close) as soon as the
 *   client has verified the server, and a new one opened in its place. One
 *   client process alone was the limit (event loop near 1) before the server
 *   was;
 * - the bench process (orchestrator): once every client runs, waits out the
 *   warm-up, then opens the timed window in every client and marks the
 *   server at once, and closes them together, so both sides' CPU
 *   (process.cpuUsage, user + system; clients = every client process,
 *   server = every worker + the primary) covers the same window.
 *
 * pqrpc runs from the compiled dist/ (bench/pqrpc-dist.ts; the orchestrator
 * has built it, each pqrpc process checks it is fresh); the native side is
 * bench/native-tls.ts, as in the one-at-a-time rows.
 *
 * A handshake counts when the client has verified the server's Finished and
 * certificate chain, inside the timed window. On a machine with few cores the
 * clients compete with the server workers for CPU: hs/s is then what the
 * machine does for both sides, and CPU per handshake is the steadier figure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { TlsAcceptOptions, TlsConnectOptions } from "../src/transport/tls-connect.ts";
import {
  type ChainFiles,
  connectNative,
  createNativeServer,
  endNative,
  GROUP,
  nativeDetail,
  SUITE,
} from "./native-tls.ts";
import { assertDistFresh, importDist } from "./pqrpc-dist.ts";

export type { ChainFiles };

const THIS_FILE = fileURLToPath(import.meta.url);
/** A process that has not said it is ready / finished by then fails the row instead of hanging the bench. */
const STARTUP_TIMEOUT_MS = 60_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** On "stop", the server's workers get this long to exit by themselves before they are killed. */
const WORKER_EXIT_MS = 5_000;
const ROLE_SERVER = "--saturation-server";
const ROLE_CLIENT = "--saturation-client";

export interface SaturationSpec {
  /** Shown in the table, e.g. "ML-DSA-65". */
  readonly chain: string;
  readonly impl: "pqrpc" | "native";
  readonly node: string;
  readonly files: ChainFiles;
  /** Client processes driving the one server. */
  readonly clients: number;
  /** Handshakes in flight over all client processes (split evenly among them). */
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface SaturationRow {
  readonly runtime: string;
  readonly impl: "pqrpc" | "native";
  readonly chain: string;
  readonly workers: number;
  readonly clients: number;
  readonly concurrency: number;
  /** Handshakes the clients completed inside the timed window (all client processes). */
  readonly handshakes: number;
  /** Handshakes the server workers completed between the orchestrator's marks (a cross-check). */
  readonly serverHandshakes: number;
  /** The timed window: the longest of the clients' own measured windows. */
  readonly seconds: number;
  /** All client processes together. */
  readonly clientCpuSeconds: number;
  readonly serverCpuSeconds: number;
  readonly errors: number;
  /** Client side, medians over the timed window's connections of every client: TCP connect to server verified, and to connection closed. */
  readonly handshakeMs: number;
  readonly connectionMs: number;
  /** The busiest client's event-loop utilization over the window (near 1: the clients, not the server, limit hs/s). */
  readonly clientElu: number;
  readonly detail: string;
  readonly error?: string;
}

type ToServer = { type: "mark" } | { type: "report" } | { type: "stop" };
type FromServer =
  | { type: "ready"; port: number; workers: number; runtime: string; detail: string }
  | { type: "report"; cpuUs: number; handshakes: number }
  | { type: "failed"; message: string };
/** The orchestrator opens and closes every client's timed window at once. */
type ToClient = { type: "start" } | { type: "finish" };
type FromClient =
  | { type: "running" }
  | {
      type: "end";
      handshakes: number;
      ms: number;
      cpuUs: number;
      errors: number;
      firstError?: string;
      detail: string;
      /** Per connection of the window: TCP connect to verified, and to closed. */
      handshakeMs: number[];
      connectionMs: number[];
      /** The client's event-loop utilization over the window (near 1: the client is the bottleneck). */
      elu: number;
    }
  | { type: "failed"; message: string };

type WorkerMessage =
  | { type: "listening"; detail: string }
  | { type: "report"; cpuUs: number; handshakes: number }
  | { type: "failed"; message: string };

function cpuMicros(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/** Resolves once the message has been handed to the IPC channel (so exiting after it does not lose it). */
function send(message: FromServer | FromClient | WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(message, undefined, {}, () => resolve());
    else resolve();
  });
}

// ---------------------------------------------------------------- pqrpc ends

async function pqrpcCrypto() {
  const { createCrypto, loadWasmProvider } = await importDist("crypto");
  // As the in-process rows: the wasm provider joins when it loads (Node 20 has no native ML-KEM/ML-DSA).
  await loadWasmProvider({ algorithms: ["ml-kem-768", "ml-dsa-65", "ml-dsa-44"] }).catch(() => undefined);
  return createCrypto();
}

function describeCrypto(crypto: { describe(): Record<string, string | undefined> }, chain: string): string {
  const d = crypto.describe();
  const sig = chain.toLowerCase();
  return `ml-kem-768:${d["ml-kem-768"] ?? "?"} ${sig}:${d[sig] ?? "?"} x25519:${d["x25519"] ?? "?"}`;
}

async function pqrpcWorker(spec: SaturationSpec, port: number, counter: { n: number }): Promise<string> {
  const { parseIdentity } = await importDist("pki");
  const { TicketSealer, tlsAccept } = await importDist("tls");
  const crypto = await pqrpcCrypto();
  const identity = parseIdentity(
    readFileSync(spec.files.cert, "utf8"),
    readFileSync(spec.files.key, "utf8"),
    crypto,
  );
  const config: TlsAcceptOptions = {
    crypto,
    certificate: identity,
    groups: [GROUP],
    cipherSuites: [SUITE],
    // One ticket per connection, as the in-process rows (and a resuming client would want).
    sessionTickets: { sealer: new TicketSealer(crypto), count: 1 },
  };
  const server = createServer((tcp: Socket) => {
    tcp.setNoDelay(true);
    tcp.on("error", () => {});
    tlsAccept(tcp, config).then(
      (s) => {
        counter.n++;
        s.on("data", () => {});
        s.on("error", () => {});
      },
      () => tcp.destroy(),
    );
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return describeCrypto(crypto, spec.chain);
}

async function pqrpcClient(spec: SaturationSpec, port: number): Promise<Connector> {
  const { TrustStore } = await importDist("pki");
  const { connectTls } = await importDist("tls");
  const crypto = await pqrpcCrypto();
  const config: TlsConnectOptions = {
    crypto,
    verifier: new TrustStore({ roots: readFileSync(spec.files.ca, "utf8"), crypto }),
    serverName: "localhost",
    groups: [GROUP],
    cipherSuites: [SUITE],
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  };
  return {
    detail: describeCrypto(crypto, spec.chain),
    async handshake(onVerified) {
      const socket = await connectTls("127.0.0.1", port, config);
      onVerified();
      const carrier = socket.carrier as Socket;
      socket.on("data", () => {});
      socket.on("error", () => {});
      if (carrier.destroyed) return;
      const closed = once(carrier, "close");
      socket.end(); // close_notify; the server answers with its own and closes TCP
      await withTimeout(closed, "pqrpc close").catch(() => socket.destroy());
    },
  };
}

// ---------------------------------------------------------------- native ends

async function nativeWorker(spec: SaturationSpec, port: number, counter: { n: number }): Promise<string> {
  const server = createNativeServer(spec.files, () => counter.n++);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return nativeDetail();
}

async function nativeClient(spec: SaturationSpec, port: number): Promise<Connector> {
  const ca = readFileSync(spec.files.ca);
  return {
    detail: nativeDetail(),
    async handshake(onVerified) {
      const { socket, secured } = connectNative({ port, ca });
      await withTimeout(secured, "native client handshake").catch((e) => {
        socket.destroy();
        throw e;
      });
      onVerified();
      await withTimeout(endNative(socket), "native close").catch(() => socket.destroy());
    },
  };
}

// ---------------------------------------------------------------- roles

interface Connector {
  readonly detail: string;
  /** One connection: handshake, `onVerified` once the server is verified, then close. */
  handshake(onVerified: () => void): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, what: string, ms = HANDSHAKE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function freePort(): Promise<number> {
  // Node 20's cluster gives each worker its own port for listen(0): the primary picks one for all.
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  await once(probe, "close");
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}

async function serverPrimary(spec: SaturationSpec): Promise<void> {
  const port = await freePort();
  const count = availableParallelism();
  cluster.setupPrimary({ args: [ROLE_SERVER, JSON.stringify(spec), String(port)] });
  const workers: Worker[] = [];
  const listening: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork();
    workers.push(worker);
    listening.push(
      new Promise<string>((res, rej) => {
        worker.on("message", (m: WorkerMessage) => {
          if (m.type === "listening") res(m.detail);
          if (m.type === "failed") rej(new Error(m.message));
        });
        worker.once("exit", (code) => rej(new Error(`server worker exited with ${code}`)));
      }),
    );
  }
  const stopAll = () => {
    for (const w of workers) w.process.kill("SIGKILL");
  };
  let details: string[];
  try {
    details = await withTimeout(Promise.all(listening), "server workers listening", STARTUP_TIMEOUT_MS);
  } catch (e) {
    send({ type: "failed", message: firstLine(e) });
    stopAll();
    process.exit(1);
  }
  let mark: NodeJS.CpuUsage | undefined;
  process.on("message", async (m: ToServer) => {
    if (m.type === "mark") {
      mark = process.cpuUsage();
      for (const w of workers) w.send(m);
    } else if (m.type === "report") {
      const own = cpuMicros(mark);
      const replies = workers.map(
        (w) =>
          new Promise<{ cpuUs: number; handshakes: number }>((res) => {
            const on = (r: WorkerMessage) => {
              if (r.type !== "report") return;
              w.off("message", on);
              res(r);
            };
            w.on("message", on);
            w.send(m);
          }),
      );
      try {
        const all = await withTimeout(Promise.all(replies), "server workers report", STARTUP_TIMEOUT_MS);
        send({
          type: "report",
          cpuUs: own + all.reduce((a, r) => a + r.cpuUs, 0),
          handshakes: all.reduce((a, r) => a + r.handshakes, 0),
        });
      } catch (e) {
        send({ type: "failed", message: firstLine(e) });
      }
    } else if (m.type === "stop") {
      // Workers exit on their own (so a --cpu-prof profile gets written); a worker that does not is killed.
      const exits = workers.map((w) =>
        w.isDead() ? Promise.resolve() : once(w, "exit").then(() => undefined),
      );
      for (const w of workers) if (w.isConnected()) w.send(m);
      await withTimeout(Promise.all(exits), "server workers exit", WORKER_EXIT_MS).catch(stopAll);
      process.exit(0);
    }
  });
  // The orchestrator going away (killed, crashed) takes the workers with it.
  process.on("disconnect", () => {
    stopAll();
    process.exit(0);
  });
  send({ type: "ready", port, workers: count, runtime: `node ${process.version}`, detail: details[0] ?? "" });
}

async function serverWorker(spec: SaturationSpec, port: number): Promise<void> {
  const counter = { n: 0 };
  let mark: { cpu: NodeJS.CpuUsage; n: number } | undefined;
  try {
    const detail = await (spec.impl === "pqrpc" ? pqrpcWorker : nativeWorker)(spec, port, counter);
    process.on("message", (m: ToServer) => {
      if (m.type === "mark") mark = { cpu: process.cpuUsage(), n: counter.n };
      if (m.type === "report")
        send({ type: "report", cpuUs: cpuMicros(mark?.cpu), handshakes: counter.n - (mark?.n ?? 0) });
      if (m.type === "stop") process.exit(0);
    });
    process.on("disconnect", () => process.exit(0));
    send({ type: "listening", detail });
  } catch (e) {
    send({ type: "failed", message: firstLine(e) });
    process.exit(1);
  }
}

/** One client process: `lanes` handshakes in flight from start-up; the orchestrator says when the timed window opens and closes. */
async function client(spec: SaturationSpec, port: number, lanes: number): Promise<void> {
  let connector: Connector;
  try {
    connector = await (spec.impl === "pqrpc" ? pqrpcClient : nativeClient)(spec, port);
  } catch (e) {
    send({ type: "failed", message: firstLine(e) });
    process.exit(1);
  }
  let phase: "warmup" | "timed" | "done" = "warmup";
  let handshakes = 0;
  let errors = 0;
  let firstError: string | undefined;
  const handshakeMs: number[] = [];
  const connectionMs: number[] = [];
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let elu0: EventLoopUtilization | undefined;
  let reported: Promise<void> | undefined;
  process.on("message", (m: ToClient) => {
    if (m.type === "start" && phase === "warmup") {
      phase = "timed";
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
    } else if (m.type === "finish" && phase === "timed") {
      const ms = performance.now() - t0;
      const cpuUs = cpuMicros(cpu0);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      phase = "done";
      reported = send({
        type: "end",
        handshakes,
        ms,
        cpuUs,
        errors,
        detail: connector.detail,
        handshakeMs,
        connectionMs,
        elu,
        ...(firstError ? { firstError } : {}),
      });
    }
  });
  // The orchestrator going away ends the run (the server has gone with it).
  process.on("disconnect", () => process.exit(0));
  const lane = async () => {
    while (phase !== "done") {
      const begun = performance.now();
      try {
        let timed = false;
        await connector.handshake(() => {
          if (phase !== "timed") return;
          timed = true;
          handshakes++;
          handshakeMs.push(performance.now() - begun);
        });
        if (timed && phase === "timed") connectionMs.push(performance.now() - begun);
      } catch (e) {
        if (phase === "timed") {
          errors++;
          firstError ??= firstLine(e);
        }
      }
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  send({ type: "running" });
  await running;
  await reported;
  process.exit(0);
}

// ---------------------------------------------------------------- orchestrator

/** Rows run so far in this process: names the profile directories in table order. */
let rowsStarted = 0;

/**
 * PQRPC_BENCH_PROFILE=dir: every role process under --cpu-prof, one directory
 * per row (numbered in table order) and role; the cluster workers inherit the
 * primary's flags and write beside it. Summarize with bench/rpc/profile-summary.ts.
 */
function profileArgs(spec: SaturationSpec, role: string): string[] {
  const dir = process.env["PQRPC_BENCH_PROFILE"];
  if (!dir) return [];
  const name = `${rowsStarted}-${spec.impl}-${spec.chain}-${role.replace(/^--saturation-/, "")}`;
  return ["--cpu-prof", "--cpu-prof-dir", join(dir, name.replace(/[^\w.-]+/g, "-"))];
}

function spawnRole(spec: SaturationSpec, role: string, extra: string[] = []): ChildProcess {
  const args = [
    "--import",
    "tsx",
    ...profileArgs(spec, role),
    THIS_FILE,
    role,
    JSON.stringify(spec),
    ...extra,
  ];
  return spawn(spec.node, args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: process.env,
  });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, what: string, ms: number): Promise<T> {
  return withTimeout(
    new Promise<T>((res, rej) => {
      const onExit = (code: number | null) => rej(new Error(`${what}: process exited with ${code}`));
      child.once("message", (m: T) => {
        child.off("exit", onExit);
        if (m.type === "failed") rej(new Error((m as unknown as { message: string }).message));
        else res(m);
      });
      child.once("exit", onExit);
    }),
    what,
    ms,
  );
}

/** `total` handshakes in flight split over `clients` processes (the first ones take the remainder). */
export function lanesPerClient(total: number, clients: number): number[] {
  return Array.from(
    { length: clients },
    (_, i) => Math.floor(total / clients) + (i < total % clients ? 1 : 0),
  );
}

/** Sends a message to a child that may have gone (its exit is reported elsewhere). */
function tell(child: ChildProcess, message: ToServer | ToClient): void {
  if (child.connected) child.send(message);
}

/** Waits for a child to exit; past `ms` it is killed. */
async function reap(child: ChildProcess, ms: number, polite?: ToServer): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  if (polite && child.connected) child.send(polite);
  await withTimeout(exited, "child exit", ms).catch(() => child.kill("SIGKILL"));
}

/**
 * One row: a cluster server and `spec.clients` client processes of the same
 * implementation, all on `spec.node`. Every client starts its lanes at once;
 * once all are running, the orchestrator lets them warm up for
 * `spec.warmupMs`, then opens the timed window in every client and marks the
 * server together, and after `spec.measureMs` closes it everywhere together.
 */
export async function runSaturationRow(spec: SaturationSpec): Promise<SaturationRow> {
  rowsStarted++;
  const lanes = lanesPerClient(spec.concurrency, spec.clients);
  const empty = {
    runtime: spec.node,
    impl: spec.impl,
    chain: spec.chain,
    workers: 0,
    clients: spec.clients,
    concurrency: spec.concurrency,
    handshakes: 0,
    serverHandshakes: 0,
    seconds: 0,
    clientCpuSeconds: 0,
    serverCpuSeconds: 0,
    errors: 0,
    handshakeMs: Number.NaN,
    connectionMs: Number.NaN,
    clientElu: Number.NaN,
    detail: "",
  };
  if (lanes.some((n) => n < 1))
    return { ...empty, error: `${spec.concurrency} in flight cannot keep ${spec.clients} clients busy` };
  const server = spawnRole(spec, ROLE_SERVER);
  const clients: ChildProcess[] = [];
  let runtime = spec.node;
  try {
    const ready = await nextMessage<Extract<FromServer, { type: "ready" }>>(
      server,
      "server start",
      STARTUP_TIMEOUT_MS,
    );
    runtime = ready.runtime;
    for (const n of lanes) clients.push(spawnRole(spec, ROLE_CLIENT, [String(ready.port), String(n)]));
    await Promise.all(
      clients.map((c, i) =>
        nextMessage<Extract<FromClient, { type: "running" }>>(c, `client ${i + 1} start`, STARTUP_TIMEOUT_MS),
      ),
    );
    await sleep(spec.warmupMs);
    const ends = clients.map((c, i) =>
      nextMessage<Extract<FromClient, { type: "end" }>>(
        c,
        `client ${i + 1} timed window`,
        STARTUP_TIMEOUT_MS + spec.measureMs,
      ),
    );
    for (const c of clients) tell(c, { type: "start" });
    tell(server, { type: "mark" });
    await sleep(spec.measureMs);
    for (const c of clients) tell(c, { type: "finish" });
    const serverReport = nextMessage<Extract<FromServer, { type: "report" }>>(
      server,
      "server report",
      STARTUP_TIMEOUT_MS,
    );
    tell(server, { type: "report" });
    const [report, all] = await Promise.all([serverReport, Promise.all(ends)]);
    const sum = (f: (e: (typeof all)[number]) => number) => all.reduce((a, e) => a + f(e), 0);
    const firstError = all.find((e) => e.firstError)?.firstError;
    return {
      ...empty,
      runtime,
      workers: ready.workers,
      handshakes: sum((e) => e.handshakes),
      serverHandshakes: report.handshakes,
      seconds: Math.max(...all.map((e) => e.ms)) / 1000,
      clientCpuSeconds: sum((e) => e.cpuUs) / 1e6,
      serverCpuSeconds: report.cpuUs / 1e6,
      errors: sum((e) => e.errors),
      handshakeMs: median(all.flatMap((e) => e.handshakeMs)),
      connectionMs: median(all.flatMap((e) => e.connectionMs)),
      clientElu: Math.max(...all.map((e) => e.elu)),
      detail: [all[0]?.detail ?? ready.detail, firstError ? `first error: ${firstError}` : ""]
        .filter(Boolean)
        .join("; "),
    };
  } catch (e) {
    return { ...empty, runtime, error: firstLine(e) };
  } finally {
    // A client ends once its last handshake in flight has; the server on "stop" (killing its workers).
    await Promise.all(clients.map((c) => reap(c, HANDSHAKE_TIMEOUT_MS + 5_000)));
    await reap(server, 10_000, { type: "stop" });
  }
}

// ---------------------------------------------------------------- entry of the roles

if (process.argv[1] === THIS_FILE) {
  const role = process.argv[2];
  const spec = JSON.parse(process.argv[3] ?? "{}") as SaturationSpec;
  const port = Number(process.argv[4]);
  // pqrpc as it ships (bench/pqrpc-dist.ts), built by the orchestrator: every process that runs it checks.
  if (spec.impl === "pqrpc") assertDistFresh();
  if (role === ROLE_SERVER && cluster.isPrimary) await serverPrimary(spec);
  else if (role === ROLE_SERVER) await serverWorker(spec, port);
  else if (role === ROLE_CLIENT) await client(spec, port, Number(process.argv[5]));
  else throw new Error(`${THIS_FILE}: run by bench/handshake.ts (${ROLE_SERVER} or ${ROLE_CLIENT})`);
}
