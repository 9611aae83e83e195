/**
 * `npm run bench:handshake`: TLS 1.3 handshake cost of pqrpc next to Node 24's
 * native TLS (OpenSSL 3.5), in one run, on this machine (DESIGN.md §1.5).
 *
 * What is measured, for every row:
 * - a full handshake over loopback TCP, client and server in the same process
 *   (so one handshake costs both sides' CPU, as it does for the native rows):
 *   latency = from the TCP connect call until both sides report the handshake
 *   verified; the median and p90 of all timed samples (after a warm-up),
 *   sampled in several rounds interleaved across rows to spread out drift;
 * - handshakes/s = timed handshakes / wall time of those handshakes, one at a time;
 * - bytes on the wire per connection, each direction, counted on the client's
 *   TCP socket after close: handshake + session tickets + close_notify, no
 *   application data (the same accounting for pqrpc and native rows).
 *
 * pqrpc rows: X25519MLKEM768, ML-DSA-65 server chain of two certificates
 * (leaf + CA, made by pqrpc's development PKI), TLS_AES_256_GCM_SHA384, one
 * row per crypto provider preference (see PROVIDER_ROWS), on this Node and on
 * Node 24 (the same file re-run as a child: `--child`); resumption with a
 * ticket, as psk_dhe_ke (the default: a fresh X25519MLKEM768 exchange) and as
 * psk_ke (the PSK alone, no key share sent).
 * The light option: a full handshake with an ML-DSA-44 chain (leaf + CA)
 * instead, pqrpc (auto) on both Nodes and native.
 * Key-share pool: every other pqrpc row uses the Node adapter's pool, whose
 * refills land inside the next handshake's window here (both peers share one
 * thread); the "pool refilled between handshakes" rows (full and resumption,
 * auto) run those refills before the clock starts instead, as a real client
 * or server would run them while it waits on its peer (see PoolRefill).
 * Native rows (Node 24 only): X25519MLKEM768 with an ECDSA P-256 chain and
 * with the same ML-DSA-65 (and ML-DSA-44) chain, plus resumption.
 *
 * Then, saturation (bench/handshake-saturation.ts): full handshakes/s with a
 * node:cluster server (one worker per core) driven by separate client
 * processes of the same implementation keeping many handshakes in flight;
 * pqrpc on this Node and Node 24, native TLS on Node 24 (bench/native-tls.ts,
 * shared with the rows above); client and server CPU per handshake, and the
 * server's against native TLS with the same chain.
 *
 * pqrpc is the compiled dist/ through the package's exports, as a user gets
 * it (bench/pqrpc-dist.ts), not tsx-transpiled source: dist/ is built first
 * when it is missing or older than src/.
 *
 * Environment: PQRPC_NODE24 (Node 24 binary; default tools/node24),
 * PQRPC_BENCH_SCALE (multiplies the sample counts and the saturation windows;
 * default 1), PQRPC_BENCH_SATURATION=0 (skip the saturation section),
 * PQRPC_BENCH_SATURATION_CONCURRENCY (handshakes in flight, over all client
 * processes; default 32), PQRPC_BENCH_SATURATION_CLIENTS (client processes;
 * default 2), PQRPC_BENCH_BUILD=0 (a missing or stale dist/ is an error
 * instead of being built),
 * PQRPC_BENCH_JSON (also write every row, both sections, to this file),
 * PQRPC_BENCH_PROFILE (a directory: every saturation process runs under
 * --cpu-prof, one subdirectory per row and role; bench/rpc/profile-summary.ts
 * reads them).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Crypto, ProviderName, SignatureName } from "../src/crypto/types.ts";
import type { DevelopmentPki } from "../src/pki/index.ts";
import type { ResumptionSession, TlsClientConfig, TlsServerConfig } from "../src/tls/index.ts";
import type { TlsSocket } from "../src/transport/tls-socket.ts";
import { runSaturationRow, type SaturationRow, type SaturationSpec } from "./handshake-saturation.ts";
import {
  type ChainFiles,
  connectNative,
  createNativeServer,
  endNative,
  GROUP,
  hasNativePqTls,
  nativeDetail,
  SUITE,
} from "./native-tls.ts";
import { assertDistFresh, ensureDist, importDist } from "./pqrpc-dist.ts";

// pqrpc as it ships (bench/pqrpc-dist.ts): the Node 24 child checks what its parent built.
if (process.argv.includes("--child")) assertDistFresh();
else await ensureDist();
const { createCrypto, loadWasmProvider } = await importDist("crypto");
const { createDevelopmentPki, parseIdentity, TrustStore } = await importDist("pki");
const { KeySharePool, TicketSealer, connectTls, tlsAccept } = await importDist("tls");

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCALE = Number(process.env["PQRPC_BENCH_SCALE"] ?? "1");
/** Rounds per row; each round runs every row once, so drift spreads over all rows. */
const ROUNDS = 3;
const CHILD_MARKER = "PQRPC_BENCH_RESULT ";
/** A Node 24 child that has not reported by then is killed (the whole bench targets a few minutes). */
const CHILD_TIMEOUT_MS = 6 * 60_000;
/** Per-handshake guard, so a broken engine fails the bench instead of hanging it. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Timed samples per round for a row; the slowest provider gets fewer. */
const SAMPLES = { fast: Math.max(3, Math.round(15 * SCALE)), slow: Math.max(2, Math.round(4 * SCALE)) };
const WARMUP = { fast: 5, slow: 1 };

interface Row {
  runtime: string;
  name: string;
  detail: string;
  samplesMs: number[];
  wallMs: number;
  bytesClientToServer: number;
  bytesServerToClient: number;
  resumedOk?: boolean;
  error?: string;
}

type OneHandshake = () => Promise<{ ms: number; c2s: number; s2c: number; resumed?: boolean }>;

interface Bench {
  name: string;
  detail: string;
  speed: "fast" | "slow";
  setup: () => Promise<{ run: OneHandshake; close: () => Promise<void> }>;
}

function runtimeName(): string {
  return `node ${process.version}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no result after ${HANDSHAKE_TIMEOUT_MS} ms`)),
        HANDSHAKE_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}

/** Closes a TLS stream politely and waits for its carrier to go away. */
async function closeTls(socket: TlsSocket): Promise<void> {
  const carrier = socket.carrier as Socket;
  if (!carrier.destroyed) {
    const closed = once(carrier, "close");
    socket.end();
    socket.resume();
    await withTimeout(closed, "close").catch(() => socket.destroy());
  }
}

// ---------------------------------------------------------------- pqrpc rows

/** Algorithms of the benchmarked handshake; a provider row prefers its provider for each it has. */
const HANDSHAKE_ALGORITHMS = [
  "ml-kem-768",
  "x25519",
  "ml-dsa-65",
  "ml-dsa-44",
  "sha384",
  "sha256",
  "aes-256-gcm",
];

const PROVIDER_ROWS: { label: string; providers?: ProviderName }[] = [
  { label: "auto" },
  { label: "node", providers: "node" },
  { label: "wasm", providers: "wasm" },
  { label: "noble", providers: "noble" },
];

function cryptoFor(provider: ProviderName | undefined): Crypto {
  if (provider === undefined) return createCrypto();
  return createCrypto({ prefer: Object.fromEntries(HANDSHAKE_ALGORITHMS.map((a) => [a, provider])) });
}

/** Which provider actually serves the PQ parts (a preference falls back when the provider lacks one). */
function servedBy(crypto: Crypto, signature: SignatureName): string {
  const d = crypto.describe();
  return `ml-kem-768:${d["ml-kem-768"] ?? "?"} ${signature}:${d[signature] ?? "?"} x25519:${d["x25519"] ?? "?"}`;
}

/** "ML-DSA-44" for ml-dsa-44, as the row names spell chains. */
function chainLabel(algorithm: SignatureName): string {
  return algorithm.toUpperCase();
}

/** Resumption rows: psk_dhe_ke (a fresh key exchange, the default) or psk_ke (the PSK alone). */
type ResumeMode = false | "psk_dhe_ke" | "psk_ke";

/**
 * Where the key-share pool's refills run (tls/key-share-pool.ts):
 * - "in window": the Node adapter's own pool, refilled by setImmediate. With
 *   client and server on one thread, both refills (the client's next
 *   X25519MLKEM768 share, the server's next X25519 ephemeral) run inside the
 *   next handshake's timed window, where a real client's would overlap its
 *   wait on the server and a real server's its wait on the client;
 * - "between": a pool of the row's own whose refills wait until the timed
 *   handshake is over and run before the next one starts (the idle time a
 *   real peer has). The refill CPU leaves the latency, not the work: the
 *   saturation section, where every refill is paid, measures that.
 */
type PoolRefill = "in window" | "between";

function pqrpcBench(
  pki: DevelopmentPki,
  label: string,
  provider: ProviderName | undefined,
  resumeMode: ResumeMode,
  refill: PoolRefill = "in window",
): Bench {
  const resume = resumeMode !== false;
  // The ML-DSA-65 rows keep their historical names; other chains say which.
  const chain = pki.algorithm === "ml-dsa-65" ? "" : `${chainLabel(pki.algorithm)} `;
  const rowLabel = refill === "between" ? `${label}, pool refilled between handshakes` : label;
  return {
    name: !resume
      ? `pqrpc full ${chain}(${rowLabel})`
      : resumeMode === "psk_ke"
        ? `pqrpc resumption psk_ke (${rowLabel})`
        : `pqrpc resumption (${rowLabel})`,
    detail: "",
    speed: provider === "noble" && !resume ? "slow" : "fast",
    async setup() {
      const crypto = cryptoFor(provider);
      // Touch the algorithms now so an unavailable one fails the row here, not mid-sample.
      crypto.kem("ml-kem-768");
      crypto.signature(pki.algorithm);
      this.detail = servedBy(crypto, pki.algorithm);
      const identity = parseIdentity(pki.server.chainPem, pki.server.keyPem, crypto);
      const verifier = new TrustStore({ roots: [pki.ca.certificate], crypto });
      // "between": refills queue here and run before the next handshake's clock starts.
      const queuedRefills: (() => void)[] = [];
      const pool =
        refill === "between"
          ? new KeySharePool({ crypto, schedule: (work) => void queuedRefills.push(work) })
          : undefined;
      const serverConfig: TlsServerConfig = {
        crypto,
        certificate: identity,
        groups: [GROUP],
        cipherSuites: [SUITE],
        ...(pool ? { keySharePool: pool } : {}),
        // psk_ke resumption is the server's choice (no fresh key exchange): the psk_ke row allows it.
        sessionTickets: {
          sealer: new TicketSealer(crypto),
          count: 1,
          ...(resumeMode === "psk_ke" ? { allowPskKe: true } : {}),
        },
      };
      // Resumption rows reuse the ticket of the set-up handshake (stateless tickets may be reused).
      let session: ResumptionSession | undefined;
      let ticketArrived: (() => void) | undefined;
      const clientConfig = (): TlsClientConfig => ({
        crypto,
        verifier,
        serverName: "localhost",
        groups: [GROUP],
        cipherSuites: [SUITE],
        onSessionTicket: (s) => {
          session ??= s;
          ticketArrived?.();
        },
        ...(resume && session ? { session } : {}),
        ...(resumeMode === "psk_ke" ? { pskModes: ["psk_ke" as const] } : {}),
        ...(pool ? { keySharePool: pool } : {}),
      });
      const accepted: ((s: TlsSocket) => void)[] = [];
      const open = new Set<Socket>();
      const server = createServer((tcp) => {
        tcp.setNoDelay(true);
        open.add(tcp);
        tcp.on("close", () => open.delete(tcp));
        tlsAccept(tcp, serverConfig).then(
          (s) => {
            s.on("data", () => {});
            s.on("error", () => {});
            accepted.shift()?.(s);
          },
          () => tcp.destroy(),
        );
      });
      const port = await listen(server);
      const handshake = async () => {
        const serverSide = new Promise<TlsSocket>((r) => accepted.push(r));
        const ticket = new Promise<void>((r) => {
          ticketArrived = r;
        });
        const resuming = resume && session !== undefined;
        for (const work of queuedRefills.splice(0)) work();
        const t0 = performance.now();
        const client = await withTimeout(
          connectTls("127.0.0.1", port, clientConfig()),
          "pqrpc client handshake",
        );
        const srv = await withTimeout(serverSide, "pqrpc server handshake");
        const ms = performance.now() - t0;
        const resumed = client.info?.resumed === true;
        client.on("data", () => {});
        // Full handshakes: let the ticket (sent after the server's Finished) arrive, as the native rows do.
        if (!resuming) await withTimeout(ticket, "pqrpc session ticket").catch(() => {});
        await closeTls(client);
        if (!srv.closed)
          await withTimeout(once(srv, "close"), "pqrpc server close").catch(() => srv.destroy());
        const tcp = client.carrier as Socket;
        return { ms, c2s: tcp.bytesWritten, s2c: tcp.bytesRead, ...(resume ? { resumed } : {}) };
      };
      if (resume) await handshake(); // obtain the first ticket
      return {
        run: handshake,
        close: async () => {
          for (const s of open) s.destroy();
          server.close();
          pool?.close();
        },
      };
    },
  };
}

// ---------------------------------------------------------------- native rows (Node 24)

function nativeBench(name: string, files: ChainFiles, resume: boolean): Bench {
  return {
    name,
    detail: nativeDetail(),
    speed: "fast",
    async setup() {
      const ca = readFileSync(files.ca);
      const accepted: (() => void)[] = [];
      const server = createNativeServer(files, () => accepted.shift()?.());
      // Byte counts come from the server's raw TCP socket (a closed client TLSSocket reports 0).
      const rawClosed: ((bytes: { c2s: number; s2c: number }) => void)[] = [];
      server.on("connection", (raw: Socket) => {
        const report = rawClosed.shift();
        raw.on("close", () => report?.({ c2s: raw.bytesRead, s2c: raw.bytesWritten }));
      });
      const port = await listen(server);
      let session: Buffer | undefined;
      const handshake = async () => {
        const serverSide = new Promise<void>((r) => accepted.push(r));
        const bytes = new Promise<{ c2s: number; s2c: number }>((r) => rawClosed.push(r));
        const t0 = performance.now();
        const { socket: client, secured } = connectNative({
          port,
          ca,
          session: resume ? session : undefined,
        });
        const gotSession = new Promise<void>((r) =>
          client.on("session", (s: Buffer) => {
            session ??= s;
            r();
          }),
        );
        await withTimeout(secured, "native client handshake");
        await withTimeout(serverSide, "native server handshake");
        const ms = performance.now() - t0;
        const resumed = client.isSessionReused();
        // Full handshakes wait for a ticket (bytes then include it); resumption rows reuse the first one.
        const firstTicket = session === undefined;
        if (!resume || firstTicket) await withTimeout(gotSession, "native session ticket").catch(() => {});
        await withTimeout(endNative(client), "native close").catch(() => client.destroy());
        const { c2s, s2c } = await withTimeout(bytes, "native server close");
        return { ms, c2s, s2c, ...(resume ? { resumed } : {}) };
      };
      if (resume) await handshake();
      return { run: handshake, close: async () => void server.close() };
    },
  };
}

// ---------------------------------------------------------------- runner

async function runBenches(benches: Bench[]): Promise<Row[]> {
  const prepared: { bench: Bench; row: Row; run?: OneHandshake; close?: () => Promise<void> }[] = [];
  for (const bench of benches) {
    const row: Row = {
      runtime: runtimeName(),
      name: bench.name,
      detail: bench.detail,
      samplesMs: [],
      wallMs: 0,
      bytesClientToServer: 0,
      bytesServerToClient: 0,
    };
    const entry: (typeof prepared)[number] = { bench, row };
    try {
      const { run, close } = await bench.setup();
      row.detail = bench.detail;
      for (let i = 0; i < WARMUP[bench.speed]; i++) await run();
      entry.run = run;
      entry.close = close;
    } catch (e) {
      row.error = (e as Error).message.split("\n")[0];
    }
    prepared.push(entry);
    process.stderr.write(
      `  prepared ${row.runtime} ${row.name}${row.error ? ` (unavailable: ${row.error})` : ""}\n`,
    );
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const entry of prepared) {
      if (!entry.run || entry.row.error) continue;
      const n = SAMPLES[entry.bench.speed];
      try {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const s = await entry.run();
          entry.row.samplesMs.push(s.ms);
          entry.row.bytesClientToServer = s.c2s;
          entry.row.bytesServerToClient = s.s2c;
          if (s.resumed !== undefined) entry.row.resumedOk = (entry.row.resumedOk ?? true) && s.resumed;
        }
        entry.row.wallMs += performance.now() - t0;
      } catch (e) {
        entry.row.error = (e as Error).message.split("\n")[0];
      }
    }
    process.stderr.write(`  ${runtimeName()}: round ${round + 1}/${ROUNDS} done\n`);
  }
  for (const entry of prepared) await entry.close?.();
  return prepared.map((p) => p.row);
}

async function localBenches(dir: string): Promise<Row[]> {
  await loadWasmProvider({ algorithms: ["ml-kem-768", "ml-dsa-65", "ml-dsa-44"] }).catch(() => undefined);
  const mldsa = createDevelopmentPki({ algorithm: "ml-dsa-65" });
  const mldsa44 = createDevelopmentPki({ algorithm: "ml-dsa-44" });
  const benches: Bench[] = PROVIDER_ROWS.map((p) => pqrpcBench(mldsa, p.label, p.providers, false));
  benches.push(
    pqrpcBench(mldsa44, "auto", undefined, false),
    pqrpcBench(mldsa, "auto", undefined, "psk_dhe_ke"),
    pqrpcBench(mldsa, "auto", undefined, "psk_ke"),
    pqrpcBench(mldsa, "auto", undefined, false, "between"),
    pqrpcBench(mldsa, "auto", undefined, "psk_dhe_ke", "between"),
  );
  if (hasNativePqTls()) {
    const ecdsa = createDevelopmentPki({ algorithm: "ecdsa-p256-sha256" });
    const ec = writeChain(dir, "ecdsa", ecdsa);
    benches.push(
      nativeBench("native TLS full (ECDSA P-256)", ec, false),
      nativeBench("native TLS full (ML-DSA-65)", writeChain(dir, "mldsa", mldsa), false),
      nativeBench("native TLS full (ML-DSA-44)", writeChain(dir, "mldsa44", mldsa44), false),
      nativeBench("native TLS resumption (ECDSA P-256)", ec, true),
    );
  }
  return runBenches(benches);
}

/** The server's chain and key, and the CA a client trusts, as PEM files (what node:tls and the saturation processes read). */
function writeChain(dir: string, tag: string, pki: DevelopmentPki): ChainFiles {
  const files = {
    key: join(dir, `${tag}.key`),
    cert: join(dir, `${tag}.pem`),
    ca: join(dir, `${tag}-ca.pem`),
  };
  writeFileSync(files.key, pki.server.keyPem);
  writeFileSync(files.cert, pki.server.chainPem);
  writeFileSync(files.ca, pki.ca.chainPem);
  return files;
}

function node24Binary(): string | undefined {
  const fromEnv = process.env["PQRPC_NODE24"];
  if (fromEnv) return fromEnv;
  const local = join(REPO_ROOT, "tools/node24/node_modules/.bin/node");
  return existsSync(local) ? local : undefined;
}

async function childRows(node24: string): Promise<Row[]> {
  const child = spawn(node24, ["--import", "tsx", fileURLToPath(import.meta.url), "--child"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  const line = out.split("\n").find((l) => l.startsWith(CHILD_MARKER));
  if (!line) throw new Error(`Node 24 child exited with ${code} and no result`);
  return JSON.parse(line.slice(CHILD_MARKER.length)) as Row[];
}

// ---------------------------------------------------------------- report

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

function report(rows: Row[]): void {
  const ref = rows.find((r) => r.name === "native TLS full (ECDSA P-256)" && !r.error);
  const refResume = rows.find((r) => r.name === "native TLS resumption (ECDSA P-256)" && !r.error);
  const header = [
    "runtime",
    "handshake",
    "median ms",
    "p90 ms",
    "hs/s",
    "vs native",
    "C->S bytes",
    "S->C bytes",
    "n",
    "notes",
  ];
  const lines = rows.map((r) => {
    if (r.error) return [r.runtime, r.name, "-", "-", "-", "-", "-", "-", "0", `unavailable: ${r.error}`];
    const med = median(r.samplesMs);
    const base = r.name.includes("resumption") ? refResume : ref;
    const ratio = base ? med / median(base.samplesMs) : Number.NaN;
    const notes = [r.detail, r.resumedOk === false ? "NOT RESUMED" : ""].filter(Boolean).join("; ");
    return [
      r.runtime,
      r.name,
      fmt(med),
      fmt(quantile(r.samplesMs, 0.9)),
      fmt((r.samplesMs.length / r.wallMs) * 1000, 0),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "-",
      String(r.bytesClientToServer),
      String(r.bytesServerToClient),
      String(r.samplesMs.length),
      notes,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) =>
    cells.map((c, i) => (i < 2 || i === 9 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log("");
  console.log(
    `TLS 1.3 handshakes over loopback TCP, client and server in one process; ${GROUP}, ${SUITE}; ` +
      "pqrpc: ML-DSA-65 chain (leaf + CA) unless the row names ML-DSA-44; 'vs native' = median / Node 24 native TLS (ECDSA P-256) median " +
      "(resumption rows vs native resumption). Bytes: one connection, no application data, tickets and close_notify included.",
  );
  console.log(show(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(show(l));
}

// ---------------------------------------------------------------- saturation

const SATURATION = process.env["PQRPC_BENCH_SATURATION"] !== "0";
const SATURATION_CONCURRENCY = Number(process.env["PQRPC_BENCH_SATURATION_CONCURRENCY"] ?? "32");
if (!Number.isInteger(SATURATION_CONCURRENCY) || SATURATION_CONCURRENCY < 1)
  throw new Error("PQRPC_BENCH_SATURATION_CONCURRENCY must be a positive integer");
const SATURATION_CLIENTS = Number(process.env["PQRPC_BENCH_SATURATION_CLIENTS"] ?? "2");
if (
  !Number.isInteger(SATURATION_CLIENTS) ||
  SATURATION_CLIENTS < 1 ||
  SATURATION_CLIENTS > SATURATION_CONCURRENCY
)
  throw new Error(
    "PQRPC_BENCH_SATURATION_CLIENTS must be a positive integer, at most PQRPC_BENCH_SATURATION_CONCURRENCY",
  );
/** Per row: a warm-up, then the timed window (both scaled); a row costs these plus ~2-3 s of process start-up. */
const SATURATION_WARMUP_MS = Math.max(300, Math.round(2_000 * SCALE));
const SATURATION_MEASURE_MS = Math.max(1_000, Math.round(8_000 * SCALE));

function saturationSpecs(dir: string, node24: string | undefined): SaturationSpec[] {
  const chains = {
    ecdsa: {
      chain: "ECDSA P-256",
      files: writeChain(dir, "sat-ecdsa", createDevelopmentPki({ algorithm: "ecdsa-p256-sha256" })),
    },
    mldsa65: {
      chain: "ML-DSA-65",
      files: writeChain(dir, "sat-mldsa65", createDevelopmentPki({ algorithm: "ml-dsa-65" })),
    },
    mldsa44: {
      chain: "ML-DSA-44",
      files: writeChain(dir, "sat-mldsa44", createDevelopmentPki({ algorithm: "ml-dsa-44" })),
    },
  };
  const common = {
    clients: SATURATION_CLIENTS,
    concurrency: SATURATION_CONCURRENCY,
    warmupMs: SATURATION_WARMUP_MS,
    measureMs: SATURATION_MEASURE_MS,
  };
  const pqrpcNodes = [
    ...(process.versions.node.startsWith("24.") ? [] : [process.execPath]),
    ...(node24 ? [node24] : []),
  ];
  const specs: SaturationSpec[] = [];
  if (node24) specs.push({ ...common, ...chains.ecdsa, impl: "native", node: node24 });
  for (const chain of [chains.mldsa65, chains.mldsa44]) {
    for (const node of pqrpcNodes) specs.push({ ...common, ...chain, impl: "pqrpc", node });
    if (node24) specs.push({ ...common, ...chain, impl: "native", node: node24 });
  }
  return specs;
}

async function runSaturation(dir: string, node24: string | undefined): Promise<SaturationRow[]> {
  const specs = saturationSpecs(dir, node24);
  const rows: SaturationRow[] = [];
  for (const spec of specs) {
    const row = await runSaturationRow(spec);
    rows.push(row);
    process.stderr.write(
      `  saturation ${row.runtime} ${row.impl} ${row.chain}: ${row.error ? `unavailable: ${row.error}` : `${row.handshakes} handshakes in ${fmt(row.seconds, 1)} s`}\n`,
    );
  }
  return rows;
}

function reportSaturation(rows: SaturationRow[]): void {
  const rate = (r: SaturationRow) => (r.error || r.seconds === 0 ? Number.NaN : r.handshakes / r.seconds);
  // Each side's CPU over its own count: the server's window (the orchestrator's marks) may sit a little off the client's.
  const perHs = (cpuSeconds: number, handshakes: number) =>
    handshakes > 0 ? (cpuSeconds / handshakes) * 1000 : Number.NaN;
  const clientPerHs = (r: SaturationRow) => perHs(r.clientCpuSeconds, r.handshakes);
  const serverPerHs = (r: SaturationRow) => perHs(r.serverCpuSeconds, r.serverHandshakes);
  const native = (chain: string) => rows.find((r) => r.impl === "native" && r.chain === chain && !r.error);
  const nativeEc = native("ECDSA P-256");
  const ratio = (x: number, base: number) => (Number.isFinite(x / base) ? `${(x / base).toFixed(2)}x` : "-");
  const totalPerHs = (r: SaturationRow) => clientPerHs(r) + serverPerHs(r);
  const header = [
    "runtime",
    "server + client",
    "chain",
    "hs/s",
    "hs/s vs native ECDSA",
    "hs/s vs native same chain",
    "client CPU ms/hs",
    "server CPU ms/hs",
    "total CPU ms/hs",
    "CPU/hs vs native same chain",
    "server CPU/hs vs native same chain",
    "server-bound hs/s est.",
    "cores busy",
    "client ELU",
    "hs ms p50",
    "conn ms p50",
    "handshakes",
    "errors",
    "notes",
  ];
  const lines = rows.map((r) => {
    const name = r.impl === "pqrpc" ? "pqrpc (tlsAccept/connectTls)" : "native node:tls";
    if (r.error) {
      const cells = header.map(() => "-");
      cells.splice(0, 3, r.runtime, name, r.chain);
      cells[cells.length - 1] = `unavailable: ${r.error}`;
      return cells;
    }
    const same = native(r.chain);
    const hs = rate(r);
    return [
      r.runtime,
      name,
      r.chain,
      fmt(hs, 0),
      nativeEc ? ratio(hs, rate(nativeEc)) : "-",
      same ? ratio(hs, rate(same)) : "-",
      fmt(clientPerHs(r)),
      fmt(serverPerHs(r)),
      fmt(totalPerHs(r)),
      same ? ratio(totalPerHs(r), totalPerHs(same)) : "-",
      same ? ratio(serverPerHs(r), serverPerHs(same)) : "-",
      fmt((r.workers * 1000) / serverPerHs(r), 0),
      fmt((r.clientCpuSeconds + r.serverCpuSeconds) / r.seconds),
      fmt(r.clientElu),
      fmt(r.handshakeMs, 1),
      fmt(r.connectionMs, 1),
      String(r.handshakes),
      String(r.errors),
      [r.detail, `server counted ${r.serverHandshakes}`].filter(Boolean).join("; "),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const left = new Set([0, 1, 2, header.length - 1]);
  const show = (cells: string[]) =>
    cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const cores = availableParallelism();
  const workers = rows.find((r) => !r.error)?.workers ?? cores;
  console.log("");
  console.log(
    `Saturation: full handshakes/s (${GROUP}, ${SUITE}, chain of leaf + CA) with a node:cluster server of ${workers} workers ` +
      `(one per core; this machine: ${cores} cores) against ${SATURATION_CLIENTS} separate client process(es) of the same implementation keeping ` +
      `${SATURATION_CONCURRENCY} handshakes in flight between them, each connection closed (close_notify) once the client has verified the server; ` +
      `${fmt(SATURATION_WARMUP_MS / 1000, 1)} s warm-up, ${fmt(SATURATION_MEASURE_MS / 1000, 1)} s timed, one run per row, rows run one after another. ` +
      `The clients compete with the server workers for the same ${cores} cores, so hs/s is what this machine does for BOTH ends ` +
      "(and is shared with anything else running); CPU ms/hs (process.cpuUsage user+system over each side's own handshake count; " +
      "client = all client processes, server = all workers + the cluster primary) " +
      "is the steadier figure. 'cores busy' = (client + server CPU s) / wall s: how much of the machine the row got. " +
      "'client ELU' = the busiest client's event-loop utilization (near 1: the clients, not the server, limit hs/s). " +
      "'hs/s vs native' = this row's hs/s / the native row's from this same run (above 1 = more handshakes/s than native); " +
      "'CPU/hs vs native' = this row's total CPU per handshake / the native row's (above 1 = more CPU than native); " +
      "'server CPU/hs vs native' = the same for the server's CPU alone (what a server operator pays per handshake). " +
      "'server-bound hs/s est.' = server cores / server CPU s per handshake: what the server alone could do with " +
      "every core and a client elsewhere (an extrapolation, not a measurement). " +
      "'hs ms' = client's TCP connect to server verified, 'conn ms' = to connection closed (medians, under load). " +
      "pqrpc rows run the handshake-only path (tlsAccept over node:net, one session ticket per connection): the real server's " +
      "per-source and handshake-concurrency caps do not apply. Native: OpenSSL's default session tickets.",
  );
  console.log(show(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(show(l));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pqrpc-bench-"));
  try {
    if (process.argv.includes("--child")) {
      const rows = await localBenches(dir);
      process.stdout.write(`${CHILD_MARKER}${JSON.stringify(rows)}\n`);
      return;
    }
    process.stderr.write(
      `bench:handshake on ${runtimeName()} (${SAMPLES.fast * ROUNDS} samples per row, ${ROUNDS} rounds)\n`,
    );
    const rows = await localBenches(dir);
    const onNode24 = process.versions.node.split(".")[0] === "24";
    const node24 = node24Binary();
    if (!onNode24 && node24) {
      process.stderr.write(`running the Node 24 half under ${node24}\n`);
      rows.push(...(await childRows(node24)));
    } else if (!node24) {
      process.stderr.write(
        "Node 24 not found (set PQRPC_NODE24 or run scripts/ensure-node24.sh): native rows skipped\n",
      );
    }
    report(rows);
    let saturation: SaturationRow[] = [];
    if (SATURATION) {
      process.stderr.write(
        `saturation: ${SATURATION_CONCURRENCY} in flight, ${SATURATION_WARMUP_MS} ms warm-up + ${SATURATION_MEASURE_MS} ms per row\n`,
      );
      saturation = await runSaturation(dir, onNode24 ? process.execPath : node24);
      reportSaturation(saturation);
    }
    const jsonPath = process.env["PQRPC_BENCH_JSON"];
    if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify({ rows, saturation }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
