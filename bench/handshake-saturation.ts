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
 * - a client: ONE separate process of the same implementation as the server
 *   (pqrpc `connectTls`, or `tls.connect`) keeping `concurrency` handshakes in
 *   flight; each connection is closed (close_notify, then TCP close) as soon as
 *   the client has verified the server, and a new one opened in its place;
 * - the bench process (orchestrator): tells the server when the client's
 *   warm-up is over and when its timed window ends, so both sides' CPU
 *   (process.cpuUsage, user + system; server = every worker + the primary)
 *   covers the same window.
 *
 * A handshake counts when the client has verified the server's Finished and
 * certificate chain, inside the timed window. On a machine with few cores the
 * client competes with the server workers for CPU: hs/s is then what the
 * machine does for both sides, and CPU per handshake is the steadier figure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { TlsAcceptOptions, TlsConnectOptions } from "../src/transport/tls-connect.ts";

const THIS_FILE = fileURLToPath(import.meta.url);
const GROUP = "X25519MLKEM768";
const SUITE = "TLS_AES_256_GCM_SHA384";
/** A process that has not said it is ready / finished by then fails the row instead of hanging the bench. */
const STARTUP_TIMEOUT_MS = 60_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const ROLE_SERVER = "--saturation-server";
const ROLE_CLIENT = "--saturation-client";

export interface ChainFiles {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

export interface SaturationSpec {
  /** Shown in the table, e.g. "ML-DSA-65". */
  readonly chain: string;
  readonly impl: "pqrpc" | "native";
  readonly node: string;
  readonly files: ChainFiles;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface SaturationRow {
  readonly runtime: string;
  readonly impl: "pqrpc" | "native";
  readonly chain: string;
  readonly workers: number;
  readonly concurrency: number;
  /** Handshakes the client completed inside the timed window. */
  readonly handshakes: number;
  /** Handshakes the server workers completed between the orchestrator's marks (a cross-check). */
  readonly serverHandshakes: number;
  readonly seconds: number;
  readonly clientCpuSeconds: number;
  readonly serverCpuSeconds: number;
  readonly errors: number;
  /** Client side, medians over the timed window: TCP connect to server verified, and to connection closed. */
  readonly handshakeMs: number;
  readonly connectionMs: number;
  /** The client's event-loop utilization over the window (near 1: the client process is the bottleneck). */
  readonly clientElu: number;
  readonly detail: string;
  readonly error?: string;
}

type ToServer = { type: "mark" } | { type: "report" } | { type: "stop" };
type FromServer =
  | { type: "ready"; port: number; workers: number; runtime: string; detail: string }
  | { type: "report"; cpuUs: number; handshakes: number }
  | { type: "failed"; message: string };
type FromClient =
  | { type: "warm" }
  | {
      type: "end";
      handshakes: number;
      ms: number;
      cpuUs: number;
      errors: number;
      firstError?: string;
      detail: string;
      /** Medians over the window's connections: TCP connect to verified, and to closed. */
      handshakeMs: number;
      connectionMs: number;
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
  const { createCrypto, loadWasmProvider } = await import("../src/crypto/index.ts");
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
  const { parseIdentity } = await import("../src/pki/index.ts");
  const { TicketSealer } = await import("../src/tls/index.ts");
  const { tlsAccept } = await import("../src/transport/tls-connect.ts");
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
  const { TrustStore } = await import("../src/pki/index.ts");
  const { connectTls } = await import("../src/transport/tls-connect.ts");
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
  const tls = await import("node:tls");
  const server = tls.createServer({
    key: readFileSync(spec.files.key),
    cert: readFileSync(spec.files.cert),
    ecdhCurve: GROUP,
    minVersion: "TLSv1.3",
    ciphers: SUITE,
  });
  // As the pqrpc server (and the client): no Nagle delay on the handshake flights.
  server.on("connection", (tcp: Socket) => tcp.setNoDelay(true));
  server.on("secureConnection", (s) => {
    counter.n++;
    s.on("data", () => {});
    s.on("error", () => {});
  });
  server.on("tlsClientError", () => {});
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return `OpenSSL ${process.versions.openssl}`;
}

async function nativeClient(spec: SaturationSpec, port: number): Promise<Connector> {
  const tls = await import("node:tls");
  const ca = readFileSync(spec.files.ca);
  return {
    detail: `OpenSSL ${process.versions.openssl}`,
    async handshake(onVerified) {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        servername: "localhost",
        ca,
        ecdhCurve: GROUP,
        minVersion: "TLSv1.3",
        ciphers: SUITE,
      });
      socket.setNoDelay(true);
      const closed = once(socket, "close");
      closed.catch(() => {});
      try {
        await withTimeout(
          new Promise<void>((res, rej) => socket.once("secureConnect", res).once("error", rej)),
          "native client handshake",
        );
      } catch (e) {
        socket.destroy();
        throw e;
      }
      onVerified();
      socket.on("error", () => {});
      socket.resume();
      socket.end(); // close_notify
      await withTimeout(closed, "native close").catch(() => socket.destroy());
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
      stopAll();
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
    });
    process.on("disconnect", () => process.exit(0));
    send({ type: "listening", detail });
  } catch (e) {
    send({ type: "failed", message: firstLine(e) });
    process.exit(1);
  }
}

async function client(spec: SaturationSpec, port: number): Promise<void> {
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
  let handshakeMs: number[] = [];
  let connectionMs: number[] = [];
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let elu0: EventLoopUtilization | undefined;
  let reported: Promise<void> | undefined;
  const start = () => {
    phase = "timed";
    handshakes = 0;
    errors = 0;
    firstError = undefined;
    handshakeMs = [];
    connectionMs = [];
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    send({ type: "warm" });
    setTimeout(finish, spec.measureMs);
  };
  const finish = () => {
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
      handshakeMs: median(handshakeMs),
      connectionMs: median(connectionMs),
      elu,
      ...(firstError ? { firstError } : {}),
    });
  };
  setTimeout(start, spec.warmupMs);
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
  await Promise.all(Array.from({ length: spec.concurrency }, lane));
  await reported;
  process.exit(0);
}

// ---------------------------------------------------------------- orchestrator

function spawnRole(spec: SaturationSpec, role: string, extra: string[] = []): ChildProcess {
  return spawn(spec.node, ["--import", "tsx", THIS_FILE, role, JSON.stringify(spec), ...extra], {
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

/** One row: a cluster server and a client process of the same implementation, on `spec.node`. */
export async function runSaturationRow(spec: SaturationSpec): Promise<SaturationRow> {
  const empty = {
    runtime: spec.node,
    impl: spec.impl,
    chain: spec.chain,
    workers: 0,
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
  const server = spawnRole(spec, ROLE_SERVER);
  let clientProcess: ChildProcess | undefined;
  let runtime = spec.node;
  try {
    const ready = await nextMessage<Extract<FromServer, { type: "ready" }>>(
      server,
      "server start",
      STARTUP_TIMEOUT_MS,
    );
    runtime = ready.runtime;
    clientProcess = spawnRole(spec, ROLE_CLIENT, [String(ready.port)]);
    await nextMessage<Extract<FromClient, { type: "warm" }>>(
      clientProcess,
      "client warm-up",
      STARTUP_TIMEOUT_MS + spec.warmupMs,
    );
    server.send({ type: "mark" } satisfies ToServer);
    const end = await nextMessage<Extract<FromClient, { type: "end" }>>(
      clientProcess,
      "client timed window",
      STARTUP_TIMEOUT_MS + spec.measureMs,
    );
    const serverReport = nextMessage<Extract<FromServer, { type: "report" }>>(
      server,
      "server report",
      STARTUP_TIMEOUT_MS,
    );
    server.send({ type: "report" } satisfies ToServer);
    const report = await serverReport;
    return {
      ...empty,
      runtime,
      workers: ready.workers,
      handshakes: end.handshakes,
      serverHandshakes: report.handshakes,
      seconds: end.ms / 1000,
      clientCpuSeconds: end.cpuUs / 1e6,
      serverCpuSeconds: report.cpuUs / 1e6,
      errors: end.errors,
      handshakeMs: end.handshakeMs,
      connectionMs: end.connectionMs,
      clientElu: end.elu,
      detail: [ready.detail, end.firstError ? `first error: ${end.firstError}` : ""]
        .filter(Boolean)
        .join("; "),
    };
  } catch (e) {
    return { ...empty, runtime, error: firstLine(e) };
  } finally {
    if (clientProcess && clientProcess.exitCode === null) {
      const exited = once(clientProcess, "exit");
      await withTimeout(exited, "client exit", HANDSHAKE_TIMEOUT_MS + 5_000).catch(() =>
        clientProcess?.kill("SIGKILL"),
      );
    }
    if (server.exitCode === null) {
      const exited = once(server, "exit");
      if (server.connected) server.send({ type: "stop" } satisfies ToServer);
      else server.kill("SIGKILL");
      await withTimeout(exited, "server exit", 10_000).catch(() => server.kill("SIGKILL"));
    }
  }
}

// ---------------------------------------------------------------- entry of the roles

if (process.argv[1] === THIS_FILE) {
  const role = process.argv[2];
  const spec = JSON.parse(process.argv[3] ?? "{}") as SaturationSpec;
  const port = Number(process.argv[4]);
  if (role === ROLE_SERVER && cluster.isPrimary) await serverPrimary(spec);
  else if (role === ROLE_SERVER) await serverWorker(spec, port);
  else if (role === ROLE_CLIENT) await client(spec, port);
  else throw new Error(`${THIS_FILE}: run by bench/handshake.ts (${ROLE_SERVER} or ${ROLE_CLIENT})`);
}
