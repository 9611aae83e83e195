/**
 * npm run bench:rpc — issue 3's benchmark: pqrpc over pqrpc/1 and over h2
 * (both PQ TLS: X25519MLKEM768 + the ML-DSA-65 chain of `pqrpc certs init`),
 * @grpc/grpc-js plaintext and TLS, and @connectrpc/connect-node, side by
 * side, every client and server in its own process (workers in bench/rpc/).
 * All serve grpc.testing.TestService: UnaryCall with 100-byte payloads at 64
 * calls in flight (calls/s, median and p99 latency) and StreamingOutputCall
 * of 64 KiB messages over one connection (MB/s = 10^6 bytes/s of payload).
 * Rounds are interleaved across systems; the table shows medians of rounds.
 *
 * The connections axis (issue 11): the same UnaryCall spread over N new
 * connections of the client worker, for each N of PQRPC_BENCH_CONNECTIONS,
 * each system in turn within a round. The client opens the N connections at
 * most OPEN_PARALLEL at a time, each finishing one call (opening time is shown
 * apart, never in calls/s); they then idle while the server worker (run with
 * --expose-gc) is sampled after forced GCs, against a sample taken before
 * opening (itself after one unmeasured connection opened and closed, see
 * runConnections): heap and RSS per idle connection. The server also counts the TCP
 * connections established to its port, which must grow by at least N (a
 * client library that shares one connection among its channels fails). Then the
 * unary test runs over them: with N >= 64 one call in flight on every
 * connection (N in flight), below 64 UNARY_CONCURRENCY = 64 calls in flight
 * round-robin over the N connections. Then they are closed, and the server
 * must see them go before the next N.
 *
 * The pqrpc workers run pqrpc as it ships: the compiled dist/ through the
 * package's exports (bench/pqrpc-dist.ts), built first when it is missing or
 * older than src/; the worker scripts themselves still run under tsx, which
 * leaves .js alone, so none of tsx's transpiled helpers (its `__name`) land
 * in pqrpc's hot paths.
 *
 * Environment:
 *   PQRPC_BENCH_SCALE   multiplies warm-up and measured durations (default 1)
 *   PQRPC_BENCH_ROUNDS  rounds per system (default 3)
 *   PQRPC_BENCH_SYSTEMS comma-separated system ids (default: all but the optional "-otel" ones; see bench/rpc/systems.ts)
 *   PQRPC_BENCH_JSON    write the per-system results to this file as JSON
 *   PQRPC_BENCH_PROFILE run every worker under --cpu-prof, writing into this directory
 *   PQRPC_BENCH_ONLY    "unary", "stream" or "connections": run only that test (e.g. to profile one path)
 *   PQRPC_BENCH_CONNECTIONS comma-separated connection counts of the connections axis (default "1,100,1000";
 *                       capped at a quarter of `ulimit -n`, so that both ends of every connection fit)
 *   PQRPC_BENCH_NODE_ARGS extra Node options for every worker, space-separated (e.g. an --import for an experiment)
 *   PQRPC_BENCH_NODE24_ARGS extra Node options for the Node 24 workers only, whatever their system (pqrpc,
 *                       grpc-js, connect alike), e.g. --scavenger-max-new-space-capacity-mb=8, the workaround for
 *                       nodejs/node#61967 that `pqrpc` applies to itself (src/node/young-buffer-gc.ts); the
 *                       report names them
 *   PQRPC_BENCH_TELEMETRY off (default), api or sdk: the pqrpc workers' telemetry (bench/rpc/telemetry.ts)
 *   PQRPC_BENCH_BUILD   0: a missing or stale dist/ is an error instead of being built
 *   PQRPC_NODE24        the Node 24 binary (default tools/node24/node_modules/.bin/node)
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { main as cli } from "../src/cli/main.ts";
import { ensureDist } from "./pqrpc-dist.ts";
import { MAX_WINDOW_EXTENSION_MS } from "./rpc/load.ts";
import type { ClientCommand, ClientConfig, ServerConfig, WorkerEvent } from "./rpc/messages.ts";
import {
  type ConnectionsRound,
  fmt,
  formatConnectionsTable,
  formatTable,
  type RoundResult,
  type SystemResult,
  type SystemSummary,
  summarize,
} from "./rpc/report.ts";
import { type Runtime, SERVERS, type ServerSpec, SYSTEMS, type SystemSpec } from "./rpc/systems.ts";
import { killAllWorkers, WorkerProcess } from "./rpc/worker-process.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "..");
const WORKER_DIR = join(HERE, "rpc");

/** Calls in flight for the unary test (issue 3). */
const UNARY_CONCURRENCY = 64;
const UNARY_WARMUP_MS = 1_000;
const UNARY_DURATION_MS = 2_500;
const STREAM_WARMUP_MS = 500;
const STREAM_DURATION_MS = 2_500;
const DEFAULT_ROUNDS = 3;
/** A worker's start-up: tsx, WASM crypto, proto loading and the TLS handshake, on a busy 2-core machine. */
const START_TIMEOUT_MS = 60_000;
/** A command may overrun its nominal duration by this much (the last calls, a loaded machine). */
const COMMAND_SLACK_MS = 30_000;
/** The whole run's budget beyond its nominal length, after which every worker is killed. */
const RUN_SLACK_MS = 120_000;
/** The connections axis's default connection counts. */
const DEFAULT_CONNECTIONS = [1, 100, 1000];
/** Connections a client opens at once (each a full PQ TLS handshake for the pqrpc systems). */
const OPEN_PARALLEL = 32;
/** Time allowed per connection to open and finish its first call (a hang guard; 1,000 took 3-17 s here, 32 at a time). */
const OPEN_BUDGET_MS_PER_CONNECTION = 100;
/** Before each heap sample: quiet (before opening), or the connections idle (after their first calls). */
const IDLE_SETTLE_MS = 500;
/** After closing, the server must see every connection go within this long. */
const CLOSE_SETTLE_MS = 10_000;
const CLOSE_POLL_MS = 100;
/** Recounts of the server's connections when a count comes out short (see runConnections). */
const COUNT_RETRIES = 3;
/**
 * Connections the pqrpc server admits from 127.0.0.1 beyond the largest
 * count: the clients' own connections (one per system sharing the server).
 */
const CONNECTION_SLACK = 64;
/** File descriptors per connection of the axis: the client's end and the server's, with room for the rest. */
const FDS_PER_CONNECTION = 4;

interface Settings {
  readonly scale: number;
  readonly rounds: number;
  readonly systems: readonly SystemSpec[];
  readonly node24: string | undefined;
  readonly jsonPath: string | undefined;
  readonly profileDir: string | undefined;
  readonly only: "unary" | "stream" | "connections" | undefined;
  readonly nodeArgs: readonly string[];
  readonly node24Args: readonly string[];
  /** The connections axis's connection counts, ascending (empty: not run). */
  readonly connections: readonly number[];
}

/** A test that PQRPC_BENCH_ONLY leaves out: no calls, so no figures. */
const SKIPPED = {
  seconds: 0,
  errors: 0,
  p50Ms: Number.NaN,
  p99Ms: Number.NaN,
  clientCpuUs: Number.NaN,
  serverCpuUs: Number.NaN,
} as const;

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

function node24Binary(): string | undefined {
  const fromEnv = process.env["PQRPC_NODE24"];
  if (fromEnv) return fromEnv;
  const local = join(REPO_ROOT, "tools/node24/node_modules/.bin/node");
  return existsSync(local) ? local : undefined;
}

function readSettings(): Settings {
  const wanted = process.env["PQRPC_BENCH_SYSTEMS"]
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((id) => !SYSTEMS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown system(s) ${unknown.join(", ")}; known: ${SYSTEMS.map((s) => s.id).join(", ")}`);
  }
  const node24 = node24Binary();
  let systems = wanted ? SYSTEMS.filter((s) => wanted.includes(s.id)) : SYSTEMS.filter((s) => !s.optional);
  if (node24 === undefined) {
    console.log("Node 24 not found (set PQRPC_NODE24): skipping the Node 24 systems");
    systems = systems.filter((s) => s.runtime !== "node24");
  }
  const profile = process.env["PQRPC_BENCH_PROFILE"];
  const only = process.env["PQRPC_BENCH_ONLY"] || undefined;
  if (only !== undefined && only !== "unary" && only !== "stream" && only !== "connections") {
    throw new Error(`PQRPC_BENCH_ONLY must be "unary", "stream" or "connections", got "${only}"`);
  }
  return {
    scale: positiveNumber("PQRPC_BENCH_SCALE", 1),
    rounds: Math.round(positiveNumber("PQRPC_BENCH_ROUNDS", DEFAULT_ROUNDS)),
    systems,
    node24,
    jsonPath: process.env["PQRPC_BENCH_JSON"] || undefined,
    profileDir: profile ? resolve(profile) : undefined,
    only,
    nodeArgs: process.env["PQRPC_BENCH_NODE_ARGS"]?.split(" ").filter(Boolean) ?? [],
    node24Args: process.env["PQRPC_BENCH_NODE24_ARGS"]?.split(" ").filter(Boolean) ?? [],
    connections: only === undefined || only === "connections" ? connectionCounts() : [],
  };
}

/** PQRPC_BENCH_CONNECTIONS, capped by the file-descriptor limit. */
function connectionCounts(): number[] {
  const raw = process.env["PQRPC_BENCH_CONNECTIONS"];
  const wanted =
    raw === undefined || raw.trim() === ""
      ? DEFAULT_CONNECTIONS
      : raw.split(",").map((part) => {
          const n = Number(part.trim());
          if (!Number.isInteger(n) || n < 1) {
            throw new Error(
              `PQRPC_BENCH_CONNECTIONS must be positive integers, comma-separated, got "${raw}"`,
            );
          }
          return n;
        });
  const limit = openFileLimit();
  const cap = Math.floor(limit / FDS_PER_CONNECTION);
  if (wanted.some((n) => n > cap)) {
    console.log(`ulimit -n is ${limit}: connection counts capped at ${cap}`);
  }
  return [...new Set(wanted.map((n) => Math.min(n, cap)))].sort((a, b) => a - b);
}

/** The soft limit on open files that the workers inherit (`ulimit -n`); Infinity when unlimited or unknown. */
function openFileLimit(): number {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    const n = Number(out);
    return Number.isFinite(n) && n > 0 ? n : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A fresh `pqrpc certs init --alg ml-dsa-65` PKI: the chain every TLS system serves. */
async function createCerts(): Promise<Certs> {
  const dir = await mkdtemp(join(os.tmpdir(), "pqrpc-bench-rpc-"));
  let stderr = "";
  const code = await cli(["certs", "init", "--dir", dir, "--alg", "ml-dsa-65"], {
    stdout: () => {},
    stderr: (t) => (stderr += t),
  });
  if (code !== 0) throw new Error(`pqrpc certs init failed: ${stderr}`);
  return { dir, ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

class Bench {
  readonly #workers: WorkerProcess[] = [];

  constructor(
    readonly settings: Settings,
    readonly certs: Certs,
  ) {}

  #spawn(
    name: string,
    runtime: Runtime,
    script: string,
    config: object,
    extraArgs: readonly string[] = [],
  ): WorkerProcess {
    const { node24, profileDir } = this.settings;
    // One directory per worker: the tsx loader thread writes a profile of its own beside the main thread's.
    const profile = profileDir
      ? ["--cpu-prof", "--cpu-prof-dir", join(profileDir, name.replace(/\W+/g, "-"))]
      : [];
    const worker = new WorkerProcess({
      name,
      node: runtime === "node24" ? node24! : process.execPath,
      nodeArgs: [
        "--import",
        "tsx",
        ...extraArgs,
        ...profile,
        ...this.settings.nodeArgs,
        ...(runtime === "node24" ? this.settings.node24Args : []),
      ],
      script: join(WORKER_DIR, script),
      config,
      cwd: REPO_ROOT,
    });
    this.#workers.push(worker);
    return worker;
  }

  async startServer(spec: ServerSpec): Promise<{ worker: WorkerProcess; port: number; runtime: string }> {
    const most = Math.max(0, ...this.settings.connections);
    const config: ServerConfig = {
      ...(spec.tls ? { cert: this.certs.cert, key: this.certs.key } : {}),
      ...(spec.telemetry ? { telemetry: spec.telemetry } : {}),
      // The pqrpc server's connection limits must admit the connections axis (pqrpc-server.ts).
      ...(most > 0 ? { maxConnections: most + CONNECTION_SLACK } : {}),
    };
    // --expose-gc: the connections axis samples the heap after forced GCs (worker-io.ts).
    const worker = this.#spawn(`server ${spec.id}`, spec.runtime, spec.script, config, ["--expose-gc"]);
    const listening = await worker.next("listening", START_TIMEOUT_MS);
    return { worker, port: listening.port, runtime: listening.runtime };
  }

  async startClient(
    system: SystemSpec,
    port: number,
  ): Promise<{ worker: WorkerProcess; runtime: string; info: Record<string, string> }> {
    const config: ClientConfig = {
      port,
      ...(system.tls ? { ca: this.certs.ca } : {}),
      ...(system.protocol ? { protocol: system.protocol } : {}),
      ...(system.telemetry ? { telemetry: system.telemetry } : {}),
    };
    const worker = this.#spawn(`client ${system.id}`, system.runtime, system.client, config);
    const ready = await worker.next("ready", START_TIMEOUT_MS);
    return { worker, runtime: ready.runtime, info: ready.info };
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.stop()));
  }
}

/** Runs one client command, sampling the server's CPU time around the measured window. */
async function measure<K extends "unary" | "stream" | "spread">(
  client: WorkerProcess,
  server: WorkerProcess,
  cmd: ClientCommand & { cmd: K },
): Promise<Extract<WorkerEvent, { event: K }> & { serverCpuUs: number }> {
  client.send(cmd);
  await sleep(cmd.warmupMs);
  server.send({ cmd: "cpu" });
  const before = await server.next("cpu", COMMAND_SLACK_MS);
  const result = await client.next(cmd.cmd, cmd.durationMs + MAX_WINDOW_EXTENSION_MS + COMMAND_SLACK_MS);
  server.send({ cmd: "cpu" });
  const after = await server.next("cpu", COMMAND_SLACK_MS);
  return { ...result, serverCpuUs: after.cpuUs - before.cpuUs };
}

async function runRound(
  client: WorkerProcess,
  server: WorkerProcess,
  settings: Settings,
): Promise<RoundResult> {
  const { scale, only } = settings;
  let unary: RoundResult["unary"] = { ...SKIPPED, calls: 0, callsPerSec: Number.NaN };
  let stream: RoundResult["stream"] = { ...SKIPPED, bytes: 0, messages: 0, mbPerSec: Number.NaN };
  if (only !== "stream") {
    const { event: _, ...result } = await measure(client, server, {
      cmd: "unary",
      warmupMs: UNARY_WARMUP_MS * scale,
      durationMs: UNARY_DURATION_MS * scale,
      concurrency: UNARY_CONCURRENCY,
    });
    unary = result;
  }
  if (only !== "unary" && only !== "connections") {
    const { event: _, ...result } = await measure(client, server, {
      cmd: "stream",
      warmupMs: STREAM_WARMUP_MS * scale,
      durationMs: STREAM_DURATION_MS * scale,
    });
    stream = result;
  }
  if (only === "connections") unary = { ...SKIPPED, calls: 0, callsPerSec: Number.NaN };
  const connections: ConnectionsRound[] = [];
  for (const n of settings.connections) connections.push(await runConnections(client, server, n, scale));
  return { unary, stream, connections };
}

/** Whether the server's connections fall back to `baseline` within CLOSE_SETTLE_MS. */
async function closedOnServer(server: WorkerProcess, baseline: number): Promise<boolean> {
  const settleBy = Date.now() + CLOSE_SETTLE_MS;
  for (;;) {
    server.send({ cmd: "heap" });
    const now = await server.next("heap", COMMAND_SLACK_MS);
    if (!(now.connections > baseline)) return true;
    if (Date.now() >= settleBy) return false;
    await sleep(CLOSE_POLL_MS);
  }
}

/** Calls in flight over n connections: one on each from 64 on, else 64 round-robin (see the header). */
function spreadConcurrency(n: number): number {
  return Math.max(UNARY_CONCURRENCY, n);
}

/** One connection count of the connections axis: open, sample the idle server, call, close. */
async function runConnections(
  client: WorkerProcess,
  server: WorkerProcess,
  n: number,
  scale: number,
): Promise<ConnectionsRound> {
  const concurrency = spreadConcurrency(n);
  const problems: string[] = [];
  let failures = 0;
  // One connection opened, called and closed first, unmeasured: after a load the server's heap
  // (GC'd) reads ~200-700 KiB high until its next connection, then stays within ~20 KiB (measured
  // on grpc-js and connect servers), which would be the whole of a 1-connection figure.
  server.send({ cmd: "heap" });
  const quiet = await server.next("heap", COMMAND_SLACK_MS);
  client.send({ cmd: "open", connections: 1, parallel: 1 });
  const flush = await client.next("opened", START_TIMEOUT_MS);
  client.send({ cmd: "close" });
  await client.next("closed", COMMAND_SLACK_MS);
  if (flush.firstError !== undefined) {
    failures++;
    problems.push(`before opening: ${flush.firstError}`);
  }
  if (!(await closedOnServer(server, quiet.connections))) {
    failures++;
    problems.push("the server kept the connection opened before measuring after it was closed");
  }
  // Both samples after the same quiet time, so that they differ by the connections, not by what just ran.
  await sleep(IDLE_SETTLE_MS);
  server.send({ cmd: "heap" });
  const before = await server.next("heap", COMMAND_SLACK_MS);
  client.send({ cmd: "open", connections: n, parallel: OPEN_PARALLEL });
  const opened = await client.next("opened", START_TIMEOUT_MS + n * OPEN_BUDGET_MS_PER_CONNECTION);
  failures += opened.errors;
  if (opened.firstError !== undefined) problems.push(opened.firstError);
  await sleep(IDLE_SETTLE_MS);
  server.send({ cmd: "heap" });
  const idle = await server.next("heap", COMMAND_SLACK_MS);
  // /proc/net/tcp read while other processes' connections come and go can miss an entry even over
  // two reads (seen: 999 of 1,000): short of n, count again, keeping the most seen.
  let seen = idle.connections;
  for (let retry = 0; retry < COUNT_RETRIES && seen - before.connections < n; retry++) {
    server.send({ cmd: "heap" });
    seen = Math.max(seen, (await server.next("heap", COMMAND_SLACK_MS)).connections);
  }
  const serverConnections = seen - before.connections;
  // Fewer than n: the client library shares connections among its channels. More would be another
  // client of the same server reconnecting meanwhile, not this one's doing.
  // NaN: no /proc/net/tcp (not Linux), so the count cannot be checked; the table shows it as such.
  if (opened.connections === n && !Number.isNaN(serverConnections) && !(serverConnections >= n)) {
    failures++;
    problems.push(`the server gained ${serverConnections} TCP connections for ${n} opened`);
  }
  let unary: ConnectionsRound["unary"] = { ...SKIPPED, calls: 0, callsPerSec: Number.NaN };
  // Measured only over all n: fewer would be another row's figure under this one's name.
  if (opened.connections === n) {
    const { event: _, ...result } = await measure(client, server, {
      cmd: "spread",
      warmupMs: UNARY_WARMUP_MS * scale,
      durationMs: UNARY_DURATION_MS * scale,
      concurrency,
    });
    unary = result;
  }
  client.send({ cmd: "close" });
  await client.next("closed", COMMAND_SLACK_MS);
  // The next count's "before" sample must not hold this one's connections.
  if (!(await closedOnServer(server, before.connections))) {
    failures++;
    problems.push(`connections still open on the server ${CLOSE_SETTLE_MS} ms after closing them`);
  }
  return {
    connections: n,
    concurrency,
    opened: opened.connections,
    openMs: opened.openMs,
    serverConnections,
    heapPerConnection: (idle.heapUsed - before.heapUsed) / n,
    rssPerConnection: (idle.rss - before.rss) / n,
    unary,
    errors: failures,
    ...(problems.length > 0 ? { firstError: problems.join("; ") } : {}),
  };
}

function describeInfo(info: Record<string, string>): string {
  return Object.entries(info)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

async function run(settings: Settings): Promise<void> {
  const { scale, rounds, systems } = settings;
  if (systems.length === 0) throw new Error("no systems to run");
  const { only, connections } = settings;
  const mainMs =
    only === "connections" ? 0 : UNARY_WARMUP_MS + UNARY_DURATION_MS + STREAM_WARMUP_MS + STREAM_DURATION_MS;
  const spreadMs = connections.length * (UNARY_WARMUP_MS + UNARY_DURATION_MS);
  const perRoundMs = (mainMs + spreadMs) * scale;
  const nominalMs = perRoundMs * rounds * systems.length;
  const measurements = 2 + connections.length;
  const openingMs = connections.reduce(
    // n plus the unmeasured one before them, two quiet times and two waits for closing.
    (t, n) => t + (n + 1) * OPEN_BUDGET_MS_PER_CONNECTION + 2 * (IDLE_SETTLE_MS + CLOSE_SETTLE_MS),
    0,
  );
  // Each measurement may run past its nominal end on a loaded machine (see bench/rpc/load.ts).
  const budgetMs =
    nominalMs + rounds * systems.length * (measurements * MAX_WINDOW_EXTENSION_MS + openingMs) + RUN_SLACK_MS;
  console.log(
    `bench:rpc on ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}` +
      `\n${systems.length} systems x ${rounds} rounds, each: ` +
      (only === "connections"
        ? ""
        : `unary ${UNARY_CONCURRENCY} in flight ` +
          `${(UNARY_DURATION_MS * scale) / 1000} s + stream ${(STREAM_DURATION_MS * scale) / 1000} s ` +
          `(after ${(UNARY_WARMUP_MS * scale) / 1000} s / ${(STREAM_WARMUP_MS * scale) / 1000} s warm-up); `) +
      (connections.length > 0
        ? `connections axis over ${connections.join(", ")} connections: unary ` +
          `${(UNARY_DURATION_MS * scale) / 1000} s each (after ${(UNARY_WARMUP_MS * scale) / 1000} s warm-up), ` +
          `opened ${OPEN_PARALLEL} at a time; `
        : "") +
      `~${Math.ceil(nominalMs / 1000)} s measured in all`,
  );
  if (settings.profileDir) await mkdir(settings.profileDir, { recursive: true });
  // Before the watchdog: a build (about a minute) is not part of the run's budget.
  await ensureDist();
  const watchdog = setTimeout(() => {
    console.error(`bench:rpc: over its ${Math.round(budgetMs / 1000)} s budget; killing workers`);
    killAllWorkers();
    process.exit(1);
  }, budgetMs);
  watchdog.unref();

  const certs = await createCerts();
  const bench = new Bench(settings, certs);
  try {
    const serverSpecs = SERVERS.filter((s) => systems.some((sys) => sys.server === s.id));
    const servers = new Map(
      await Promise.all(serverSpecs.map(async (s) => [s.id, await bench.startServer(s)] as const)),
    );
    const clients = await Promise.all(
      systems.map(async (system) => ({
        system,
        ...(await bench.startClient(system, servers.get(system.server)!.port)),
      })),
    );
    for (const c of clients) console.log(`  ${c.system.id.padEnd(16)} ${c.runtime}  ${describeInfo(c.info)}`);

    const results: SystemResult[] = clients.map((c) => ({
      system: c.system,
      clientRuntime: c.runtime,
      serverRuntime: servers.get(c.system.server)!.runtime,
      info: c.info,
      rounds: [],
    }));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so that no system always runs first or right after another.
      for (let k = 0; k < clients.length; k++) {
        const i = (k + round) % clients.length;
        const r = await runRound(
          clients[i]!.worker,
          servers.get(clients[i]!.system.server)!.worker,
          settings,
        );
        results[i]!.rounds.push(r);
        if (only !== "connections") {
          console.log(
            `  round ${round + 1}/${rounds} ${clients[i]!.system.id.padEnd(16)} ` +
              `${fmt(r.unary.callsPerSec)} calls/s p50 ${fmt(r.unary.p50Ms, 2)} ms ` +
              `p99 ${fmt(r.unary.p99Ms, 2)} ms | ${fmt(r.stream.mbPerSec)} MB/s` +
              (r.unary.errors + r.stream.errors > 0
                ? ` | errors ${r.unary.errors + r.stream.errors}: ${r.unary.firstError ?? r.stream.firstError}`
                : ""),
          );
        }
        for (const c of r.connections) {
          const errors = c.errors + c.unary.errors;
          console.log(
            `  round ${round + 1}/${rounds} ${clients[i]!.system.id.padEnd(16)} ` +
              `${String(c.connections).padStart(5)} conns: ${fmt(c.unary.callsPerSec)} calls/s ` +
              `p50 ${fmt(c.unary.p50Ms, 2)} ms p99 ${fmt(c.unary.p99Ms, 2)} ms | ` +
              `heap ${fmt(c.heapPerConnection / 1024, 1)} KiB/conn, opened in ${fmt(c.openMs / 1000, 1)} s` +
              (errors > 0 ? ` | errors ${errors}: ${c.firstError ?? c.unary.firstError}` : ""),
          );
        }
      }
    }
    const summaries = results.map(summarize);
    if (only !== "connections") printMainTable(summaries, settings);
    if (connections.length > 0) {
      console.log(
        `\nConnections axis: medians of ${rounds} round(s); the same unary call spread over N connections of the client ` +
          `(in flight: ${UNARY_CONCURRENCY} round-robin below ${UNARY_CONCURRENCY} connections, one per connection from ` +
          `${UNARY_CONCURRENCY} on);\nheap/rss KiB/conn = the server's heapUsed (after forced GCs) and RSS with the N ` +
          `connections open, handshaken, called once and idle, minus before opening (after one unmeasured ` +
          `connection), divided by N (at small N within the heap's ~20-100 KiB noise from sample to sample);\nserver conns = TCP connections the server gained (fewest in a round; must be >= N); ` +
          `open s = time to open the N, ${OPEN_PARALLEL} at a time, each with its first call (not in calls/s).\n`,
      );
      console.log(formatConnectionsTable(summaries));
      for (const s of summaries) {
        for (const c of s.connections) {
          if (!Number.isFinite(c.callsPerSec)) {
            console.log(
              `no result for ${s.id} over ${c.connections} connections${c.firstError ? `: ${c.firstError}` : ""}`,
            );
          }
        }
      }
    }
    console.log(
      `\nload average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    const extra = [...settings.nodeArgs, ...settings.node24Args.map((a) => `${a} (Node 24 workers)`)];
    if (extra.length > 0) console.log(`extra Node options of the workers: ${extra.join(" ")}`);
    if (settings.jsonPath) await writeFile(settings.jsonPath, JSON.stringify(summaries, null, 2));
    const failed = summaries.filter((s) => s.errors > 0 || s.connections.some((c) => c.errors > 0));
    if (failed.length > 0) {
      throw new Error(
        `calls failed: ${failed
          .map((s) => `${s.id}: ${s.firstError ?? s.connections.find((c) => c.firstError)?.firstError}`)
          .join("; ")}`,
      );
    }
  } finally {
    await bench.stopAll();
    clearTimeout(watchdog);
    await rm(certs.dir, { recursive: true, force: true });
  }
}

/** The unary and streaming table, with its legend and the systems that produced no figure. */
function printMainTable(summaries: readonly SystemSummary[], settings: Settings): void {
  const { rounds } = settings;
  console.log(
    `\nMedians of ${rounds} round(s); spread = half the min-max range over the rounds; ` +
      `MB = 10^6 bytes of payload; vs TLS = ratio to grpc-js TLS (Node 24), vs plain = to grpc-js plaintext (main Node);\n` +
      `cpu us/call = CPU time of client + server per unary call (client+server), MB/cpu-s = streamed MB per CPU-second of both:\n` +
      `these two hold up on a shared machine, where throughput depends on what else runs.\n` +
      `TLS: every TLS system serves the same \`pqrpc certs init --alg ml-dsa-65\` chain (ML-DSA-65 CA and leaf); ` +
      `pqrpc runs its own TLS 1.3 (X25519MLKEM768), grpc-js TLS runs on Node 24's OpenSSL 3.5\n` +
      `(X25519MLKEM768 by default, group shown above); connect-node speaks the gRPC protocol over plaintext h2c.\n`,
  );
  console.log(formatTable(summaries));
  // A system whose runs produced no figure is named, with why, rather than left as a row of dashes.
  for (const s of summaries) {
    const missing = [
      Number.isFinite(s.callsPerSec) ? undefined : "unary",
      Number.isFinite(s.mbPerSec) ? undefined : "streaming",
    ].filter((m) => m !== undefined);
    if (missing.length > 0 && settings.only === undefined) {
      console.log(`no ${missing.join(" or ")} result for ${s.id}${s.firstError ? `: ${s.firstError}` : ""}`);
    }
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllWorkers();
    process.exit(130);
  });
}

run(readSettings()).catch((e: unknown) => {
  console.error(`bench:rpc failed: ${e instanceof Error ? e.message : String(e)}`);
  killAllWorkers();
  process.exitCode = 1;
});
